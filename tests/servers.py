"""Real protocol servers on 127.0.0.1 for the outgoing-call tests.

A fake Telegram Bot API (answers like the real one), a Standard Webhooks
receiver that verifies signatures, and an SMTP server (aiosmtpd) that keeps
the messages it receives.
"""
from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes
from email.message import Message
from email.parser import BytesParser
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


def serve_in_background(server) -> None:
    """``server.serve_forever()`` on a daemon thread, looking for ``shutdown()`` every 20 ms rather
    than socketserver's 500 ms, which each test stopping a server waited out."""
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 whose handler calls ``self.answer``."""

    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, payload, headers = owner.answer(self.path, dict(self.headers.items()), body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                for k, v in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST  # noqa: N815 - the path carries the query; ``answer`` reads what it needs

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.lock = threading.Lock()
        serve_in_background(self.httpd)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class WebhookReceiver(_Server):
    """Verifies every request with ``standardwebhooks``; fails the first ``fail_first`` with 500."""

    def __init__(self, secret: str | None = None, fail_first: int = 0) -> None:
        self.secret, self.fail_first = secret, fail_first
        self.calls: list[dict] = []
        super().__init__()

    def answer(self, path, headers, body):
        lower = {k.lower(): v for k, v in headers.items()}
        verified = None
        if self.secret:
            verified = Webhook(self.secret).verify(body, {k: lower[k] for k in
                                                          ("webhook-id", "webhook-timestamp", "webhook-signature")})
        with self.lock:
            self.calls.append({"path": path, "headers": lower, "body": json.loads(body), "verified": verified})
            failing = len(self.calls) <= self.fail_first
        return (500, {"error": "try later"}, {}) if failing else (200, {"ok": True}, {})


class FakeTelegram(_Server):
    """Speaks the Bot API's shape: ``/bot<token>/<method>``, ``{"ok": true, "result": ...}``."""

    def __init__(self, token: str, rate_limit_first: int = 0, retry_after: int = 7, fail_first: int = 0) -> None:
        self.token, self.rate_limit_first, self.retry_after = token, rate_limit_first, retry_after
        self.fail_first = fail_first  # answer 500 to the first calls (after any rate limiting)
        self.calls: list[dict] = []
        self.next_id = 100
        super().__init__()

    def answer(self, path, headers, body):
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, {}
        method = path[len(prefix):]
        fields, files = _form(headers, body)
        with self.lock:
            self.calls.append({"method": method, "fields": fields, "files": files})
            if len(self.calls) <= self.rate_limit_first:
                return 429, {"ok": False, "error_code": 429,
                             "description": f"Too Many Requests: retry after {self.retry_after}",
                             "parameters": {"retry_after": self.retry_after}}, {}
            if len(self.calls) <= self.rate_limit_first + self.fail_first:
                return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}, {}
            if str(fields.get("chat_id")) == "-1":
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, {}
            if method == "sendMediaGroup":
                media = json.loads(fields["media"])
                if not 2 <= len(media) <= 10:
                    return 400, {"ok": False, "error_code": 400, "description": "Bad Request: wrong media count"}, {}
                result = [self._message(fields) for _ in media]
            elif method in ("sendMessage", "sendPhoto"):
                result = self._message(fields)
            else:
                return 404, {"ok": False, "error_code": 404, "description": "Not Found"}, {}
        return 200, {"ok": True, "result": result}, {}

    def _message(self, fields):
        self.next_id += 1
        return {"message_id": self.next_id, "chat": {"id": fields.get("chat_id")}, "date": 0}


def _form(headers: dict, body: bytes) -> tuple[dict, dict]:
    """Fields and uploaded files of a JSON or multipart/form-data request."""
    ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if ctype.startswith("application/json"):
        return json.loads(body), {}
    if ctype.startswith("multipart/form-data"):
        msg = BytesParser(policy=default_policy).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + body)
        fields, files = {}, {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if part.get_filename():
                files[name] = {"filename": part.get_filename(), "type": part.get_content_type(),
                               "data": part.get_payload(decode=True)}
            else:
                fields[name] = part.get_payload(decode=True).decode()
        return fields, files
    return {}, {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 keeping each message it receives."""

    def __init__(self, auth: tuple[str, str] | None = None) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                sink.messages.append(message_from_bytes(envelope.content, policy=default_policy))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()
