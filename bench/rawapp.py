"""The baseline: a three-line WSGI app answering 302, served exactly like Sharecast."""
def app(environ, start_response):
    start_response("302 Found", [("Location", "https://shop.example.com/p/1?sc_click=0"), ("Content-Length", "0")])
    return [b""]
