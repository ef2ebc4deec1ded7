"""The SSRF guard: every resolved address checked, the checked address connected to."""
from __future__ import annotations

import ipaddress
import socket

import pytest
from servers import WebhookReceiver, serve_in_background

from plumbing import guarded_http

REFUSED = ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1",
           "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
           "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "2001:db8::1"]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED)
def test_private_loopback_link_local_multicast_reserved_and_mapped_addresses_are_not_public(address):
    assert not guarded_http.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_global_unicast_addresses_are_public(address):
    assert guarded_http.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "http://10.0.0.5:8080/", "http://169.254.169.254/latest/meta-data",
                                 "http://[::1]:9000/", "http://localhost/", "https://[::ffff:127.0.0.1]/",
                                 "http://0x7f000001/"])
def test_urls_reaching_private_addresses_are_refused(url):
    with pytest.raises(guarded_http.TargetRefused, match="private|resolve"):
        guarded_http.check_url(url, allow_private=False)


@pytest.mark.parametrize("url", ["ftp://example.com/", "http://user:pw@example.com/", "http:///nohost", "http://h:99999/"])
def test_urls_of_the_wrong_shape_are_refused(url):
    with pytest.raises(guarded_http.TargetRefused):
        guarded_http.check_url(url, allow_private=True)


def test_a_host_is_refused_when_any_of_its_addresses_is_private(monkeypatch):
    def resolver(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in ("93.184.216.34", "10.0.0.1")]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with pytest.raises(guarded_http.TargetRefused, match="10.0.0.1"):
        guarded_http.check_url("https://mixed.example/", allow_private=False)


def test_private_targets_are_allowed_when_the_deployment_says_so():
    target = guarded_http.check_url("http://localhost:8000/x", allow_private=True)
    assert any(ip.is_loopback for ip in target.addresses) and target.host == "localhost"


def test_the_request_goes_to_the_address_that_was_checked_not_a_second_lookup(monkeypatch):
    """DNS rebinding: the name resolves once; a changed answer afterwards is never used."""
    receiver = WebhookReceiver()
    answers = iter(["127.0.0.1"] + ["203.0.113.9"] * 10)
    lookups = []
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    try:
        with guarded_http.client(allow_private=True, timeout=5) as http:
            res = http.post(f"http://rebind.test:{receiver.port}/hook", json={"a": 1})
        assert res.status_code == 200
        assert lookups == ["rebind.test"]
        assert receiver.calls[0]["headers"]["host"] == f"rebind.test:{receiver.port}"
    finally:
        receiver.close()


def test_the_client_refuses_a_private_target_before_connecting():
    receiver = WebhookReceiver()
    try:
        with guarded_http.client(allow_private=False, timeout=5) as http, pytest.raises(guarded_http.TargetRefused):
            http.post(receiver.url("/hook"), json={})
        assert receiver.calls == []
    finally:
        receiver.close()


def test_redirects_are_not_followed():
    with guarded_http.client(allow_private=True) as http:
        assert http.follow_redirects is False and http.trust_env is False


class _Endless:
    """A server answering every request with a body that never ends (``pace`` seconds between chunks)."""

    def __init__(self, pace: float = 0.0):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                import time
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"[" + b"0," * 32_767
                try:
                    for _ in range(2_000):  # 128 MB at most, bounded
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        outer.sent += len(chunk)
                        time.sleep(outer.pace)
                except OSError:
                    pass  # the client hung up: as it should

            def log_message(self, *args):
                pass

        self.pace, self.sent = pace, 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        serve_in_background(self.server)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_an_endless_answer_is_cut_at_the_size_limit_not_read_into_memory():
    server = _Endless()
    try:
        with guarded_http.client(True, max_bytes=1_000_000) as http, \
                pytest.raises(guarded_http.AnswerTooLarge, match="over 1000000 bytes"):
            http.get(server.url)
    finally:
        server.close()
    assert server.sent < 8_000_000


def test_an_answer_trickling_past_the_whole_time_limit_is_cut_though_each_read_is_quick():
    import time
    server = _Endless(pace=0.05)
    try:
        started = time.monotonic()
        with guarded_http.client(True, timeout=5.0, max_seconds=0.5) as http, \
                pytest.raises(guarded_http.AnswerTooLarge, match="took over"):
            http.get(server.url)
        assert time.monotonic() - started < 3
    finally:
        server.close()


def test_a_channel_call_to_an_endless_server_is_a_retryable_publish_error():
    from channels.base import PublishError
    from channels.remote import call

    server = _Endless()  # cut at the default 16 MB
    try:
        with pytest.raises(PublishError, match="unreachable") as raised:
            call("Mastodon", "GET", server.url, True, 5.0)
        assert raised.value.retryable
    finally:
        server.close()
    assert server.sent < guarded_http.MAX_ANSWER_BYTES + 8_000_000
