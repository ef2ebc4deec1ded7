"""The pages: marketer console, seller portal, consumer share page.

Server-rendered Jinja templates on top of the same services the API calls.
This package wires what every page shares: sessions, CSRF (Flask-WTF),
sign-in rate limits (Flask-Limiter, counted in Redis), languages
(Flask-Babel: zh-CN and English), security headers and HTML error pages.
"""
