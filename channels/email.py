"""Email: the title is the subject, the text the plain-text body, sent by SMTP.

(This module is ``channels.email``; it does not shadow the standard library's
``email`` because imports are absolute.)

Email by SMTP: a plain-text body with an HTML alternative, images inline by Content-ID.

The connection goes to the address the SSRF guard checked, while EHLO,
STARTTLS and certificate checks use the configured host name. Port 465 is
TLS from the start; elsewhere STARTTLS is used whenever the server offers it,
except on a loopback server (local development). A password is never sent
over an unencrypted connection to a non-local server.
"""
from __future__ import annotations

import html
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr

from channels.base import BasePublisher, OutgoingPost, PublishError, PublishResult, text_field
from plumbing import guarded_http

FIELDS = ("smtp_host", "smtp_port", "username", "password", "from", "to")
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
_URL = re.compile(r"https?://[^\s<>\"]+")


class _PinnedSMTP(smtplib.SMTP):
    """SMTP to a checked address; ``host`` stays the name (for EHLO/TLS)."""

    def __init__(self, target: guarded_http.Target, timeout: float):
        self._target = target
        super().__init__(timeout=timeout)

    def _get_socket(self, host, port, timeout):
        return guarded_http.connect_tcp(self._target, timeout)


class _PinnedSMTPSSL(smtplib.SMTP_SSL):
    def __init__(self, target: guarded_http.Target, timeout: float):
        self._target = target
        super().__init__(timeout=timeout, context=ssl.create_default_context())

    def _get_socket(self, host, port, timeout):
        return self.context.wrap_socket(guarded_http.connect_tcp(self._target, timeout), server_hostname=host)


class SmtpPublisher(BasePublisher):
    channel = "email"
    fields = FIELDS

    def check(self, credentials: dict, allow_private: bool, errors: dict) -> dict:
        host = text_field(credentials, "smtp_host", errors, max_length=253)
        port = credentials.get("smtp_port", 587)
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            errors["smtp_port"] = "a port number from 1 to 65535"
        username = text_field(credentials, "username", errors, required=False)
        password = credentials.get("password")
        if password is not None and not isinstance(password, str):
            errors["password"] = "a string"
        if password and not username:
            errors["username"] = "required with a password"
        sender = text_field(credentials, "from", errors, max_length=320)
        if sender and not _EMAIL.fullmatch(parseaddr(sender)[1] or ""):
            errors["from"] = "an email address"
        to = credentials.get("to")
        recipients = [to] if isinstance(to, str) else to
        if not recipients or not isinstance(recipients, list) or len(recipients) > 50 or not all(
                isinstance(r, str) and _EMAIL.fullmatch(parseaddr(r)[1] or "") for r in recipients):
            errors["to"] = "an email address or a list of up to 50"
        if host and "smtp_port" not in errors:
            try:
                guarded_http.check_host(host, port, allow_private)
            except guarded_http.TargetRefused as exc:
                errors["smtp_host"] = str(exc)
        return {"smtp_host": host, "smtp_port": port, "username": username, "password": password or None,
                "from": sender, "to": recipients}

    def publish(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult:
        message = build_message(post, credentials["from"], credentials["to"])
        try:
            target = guarded_http.check_host(credentials["smtp_host"], credentials["smtp_port"], allow_private)
        except guarded_http.TargetRefused as exc:
            raise PublishError(f"SMTP server refused: {exc}", retryable=False) from None
        try:
            self._send(target, credentials, message)
        except smtplib.SMTPResponseException as exc:
            # 4xx is "try again later"; 5xx (bad login, refused sender) will not change.
            raise PublishError(f"SMTP error {exc.smtp_code}: {_text(exc.smtp_error)}", 400 <= exc.smtp_code < 500) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise PublishError(f"SMTP refused the recipients: {', '.join(exc.recipients)}", retryable=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise PublishError(f"SMTP failed: {type(exc).__name__}: {exc}", retryable=True) from None
        return PublishResult(external_id=message["Message-ID"], detail={"recipients": len(credentials["to"])})

    def _send(self, target: guarded_http.Target, credentials: dict, message: EmailMessage) -> None:
        local = all(ip.is_loopback for ip in target.addresses)
        implicit_tls = target.port == 465
        smtp_class = _PinnedSMTPSSL if implicit_tls else _PinnedSMTP
        with smtp_class(target, self.timeout) as smtp:
            smtp.connect(target.host, target.port)
            smtp.ehlo()
            encrypted = implicit_tls
            if not encrypted and smtp.has_extn("starttls") and not local:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
                encrypted = True
            if credentials.get("username"):
                if not encrypted and not local:
                    raise PublishError("the SMTP server offers no STARTTLS; the password is not sent in clear",
                                       retryable=False)
                smtp.login(credentials["username"], credentials.get("password") or "")
            smtp.send_message(message)


def build_message(post: OutgoingPost, sender: str, recipients: list[str]) -> EmailMessage:
    """The email for ``post``: text part, HTML part, and each image inline in the HTML."""
    message = EmailMessage()
    message["Subject"] = (post.title or post.text.strip().split("\n", 1)[0])[:200]
    message["From"] = sender
    message["To"] = ", ".join(formataddr(parseaddr(r)) for r in recipients)
    domain = (parseaddr(sender)[1].rpartition("@")[2] or "sharecast.local")
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(post.text)
    cids = [make_msgid(domain=domain) if image.data is not None else None for image in post.images]
    message.add_alternative(_html(post, cids), subtype="html")
    html_part = message.get_payload()[1]
    for image, cid in zip(post.images, cids):
        if cid is not None:
            maintype, _, subtype = image.content_type.partition("/")
            html_part.add_related(image.data, maintype=maintype, subtype=subtype, cid=cid,
                                  filename=image.filename, disposition="inline")
    return message


def _html(post: OutgoingPost, cids: list[str | None]) -> str:
    parts = [f"<h1>{html.escape(post.title)}</h1>"] if post.title else []
    for paragraph in re.split(r"\n\s*\n", post.text.strip()):
        if paragraph.strip():
            linked = _URL.sub(_anchor, html.escape(paragraph, quote=False))
            parts.append("<p>" + linked.replace("\n", "<br>") + "</p>")
    for image, cid in zip(post.images, cids):
        source = f"cid:{cid[1:-1]}" if cid else html.escape(image.url or "")
        if source:
            parts.append(f'<p><img src="{source}" alt="" style="max-width:100%;height:auto"></p>')
    return '<!doctype html><html><body style="font-family:sans-serif">' + "".join(parts) + "</body></html>"


def _anchor(match: re.Match) -> str:
    return f'<a href="{match.group(0)}">{match.group(0)}</a>'


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)



from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="email",
    timeline_width=343,
    unconfirmed=("timeline_width",),
    name="Email",
    name_zh="电子邮件",
    text_limit=None,
    # RFC 5322 caps a header line at 998 characters; "Subject: " takes 9.
    title_limit=989,
    hashtag_style="none",
    link_policy="clickable",
    max_images=None,  # inline, as many as the body holds
    image_sizes=(ImageSize("inline", 1200),),
    publish_kind="api",
    in_library=False,  # sent from the brand's mail server to the brand's list, not by sellers
)

CHANNEL = Channel(SPEC, publisher=SmtpPublisher())
