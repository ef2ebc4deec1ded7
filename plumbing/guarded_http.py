"""Every outgoing call, guarded against SSRF.

A target's host is resolved once; if ANY address it resolves to is private,
loopback, link-local, multicast, reserved or unspecified (IPv4 or IPv6, also
IPv4 wrapped in IPv6) the call is refused, unless the deployment allows
private targets (``SHARECAST_ALLOW_PRIVATE_TARGETS``, local development and
tests). The connection then goes to the address that was checked, so a DNS
answer that changes between check and connect (rebinding) cannot redirect
it; TLS still sends and verifies the hostname (SNI). Redirects are never
followed and proxy variables are ignored: both would reach unchecked hosts.

An answer is read up to ``MAX_ANSWER_BYTES`` and within ``MAX_ANSWER_SECONDS``
in all (httpx's timeouts bound each read, not the whole): some servers are
named by users (a Mastodon instance, a webhook's URL), and one that sends an
endless answer, or one byte at a time, must not hold a worker or its memory.
"""
from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_ANSWER_BYTES = 16 * 1024 * 1024
MAX_ANSWER_SECONDS = 120.0


class AnswerTooLarge(httpx.ReadError):
    """The answer went past ``MAX_ANSWER_BYTES`` or ``MAX_ANSWER_SECONDS`` (an ``httpx.HTTPError``)."""


class CappedStream(httpx.SyncByteStream):
    """An answer's body, read up to ``max_bytes`` and until ``deadline`` (monotonic)."""

    def __init__(self, stream: httpx.SyncByteStream, max_bytes: int, deadline: float) -> None:
        self._stream, self._max_bytes, self._deadline = stream, max_bytes, deadline

    def __iter__(self):
        read = 0
        for chunk in self._stream:
            read += len(chunk)
            if read > self._max_bytes:
                raise AnswerTooLarge(f"the answer is over {self._max_bytes} bytes")
            if time.monotonic() > self._deadline:
                raise AnswerTooLarge(f"the answer took over {MAX_ANSWER_SECONDS:g} s")
            yield chunk

    def close(self) -> None:
        self._stream.close()


class TargetRefused(ValueError):
    """The URL or host may not be called; ``str(exc)`` says why, for a 422."""


@dataclass(frozen=True)
class Target:
    """A checked destination: where to connect, and the name to present."""

    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def embedded_ipv4(ip: IPAddress) -> IPAddress | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, Teredo client)."""
    if ip.version != 6:
        return None
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """True when ``ip`` (and any IPv4 address inside it) is globally routable unicast."""
    inner = embedded_ipv4(ip)
    if inner is not None and not is_public(inner):
        return False
    if ip.version == 6 and (ip in NAT64 or ip.ipv4_mapped):  # judged by the IPv4 address it carries
        return True
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def is_local_name(host: str) -> bool:
    """True when ``host``, as written in a URL, names a machine that is not public without a
    DNS lookup: ``localhost`` and its subdomains, or an IP literal in any spelling a browser
    accepts (``[::1]``, ``127.1``, ``0x7f.0.0.1``, ``2130706433``) that ``is_public`` refuses."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost") or name == "localhost.localdomain":
        return True
    try:
        ip = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        try:  # the legacy IPv4 spellings inet_aton (and browsers) accept
            ip = ipaddress.IPv4Address(socket.inet_aton(name))
        except (OSError, ValueError):
            return False
    return not is_public(ip)


def resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    """Every address ``host`` resolves to, in the resolver's order.

    :raise TargetRefused: the host does not resolve.
    """
    try:
        return (ipaddress.ip_address(host.strip("[]")),)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"the host {host!r} does not resolve") from exc
    seen: dict[IPAddress, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        seen.setdefault(ipaddress.ip_address(str(sockaddr[0]).split("%")[0]), None)
    if not seen:
        raise TargetRefused(f"the host {host!r} does not resolve")
    return tuple(seen)


def check_host(host: str, port: int, allow_private: bool) -> Target:
    """Resolve ``host`` and refuse it if any address is not public.

    :raise TargetRefused: unresolvable, or an address is private and that is not allowed.
    """
    if not host:
        raise TargetRefused("the URL has no host")
    addresses = resolve(host, port)
    if not allow_private:
        for ip in addresses:
            if not is_public(ip):
                raise TargetRefused(f"the host {host!r} resolves to {ip}, a private or reserved address; "
                                    "outgoing calls may reach only public addresses")
    return Target(host.strip("[]"), port, addresses)


def check_url(url: str, allow_private: bool) -> Target:
    """Check an http(s) URL as :func:`check_host` does, plus its shape.

    :raise TargetRefused: not http(s), credentials in the URL, bad port, or a refused host.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("the URL must start with http:// or https://")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("the URL must not carry a user name or password")
    return check_host(parts.hostname or "", port or (443 if parts.scheme == "https" else 80), allow_private)


class PinnedTransport(httpx.HTTPTransport):
    """Connects to the addresses checked for the request's host, trying each in turn."""

    def __init__(self, allow_private: bool, max_bytes: int = MAX_ANSWER_BYTES,
                 max_seconds: float = MAX_ANSWER_SECONDS, **kwargs) -> None:
        super().__init__(**kwargs)
        self.allow_private = allow_private
        self.max_bytes, self.max_seconds = max_bytes, max_seconds

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = check_url(str(request.url), self.allow_private)
        original = request.url
        # The Host header was set from the original URL when the request was built.
        request.extensions = {**request.extensions, "sni_hostname": target.host}
        last_error: Exception | None = None
        deadline = time.monotonic() + self.max_seconds
        for ip in target.addresses:
            request.url = original.copy_with(host=str(ip))
            try:
                response = super().handle_request(request)
                response.stream = CappedStream(response.stream, self.max_bytes, deadline)
                return response
            except httpx.ConnectError as exc:
                last_error = exc
            finally:
                request.url = original
        raise last_error or httpx.ConnectError(f"could not connect to {target.host}")


def client(allow_private: bool, timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
           max_bytes: int = MAX_ANSWER_BYTES, max_seconds: float = MAX_ANSWER_SECONDS) -> httpx.Client:
    """An HTTP client whose every request goes through the SSRF guard, and whose every answer is
    read up to ``max_bytes`` within ``max_seconds`` (else :class:`AnswerTooLarge`).

    One client per logical call: connections are pooled by address, and two
    hostnames may share one.
    """
    return httpx.Client(transport=PinnedTransport(allow_private, max_bytes, max_seconds), timeout=timeout,
                        follow_redirects=False, trust_env=False)


def connect_tcp(target: Target, timeout: float) -> socket.socket:
    """A TCP connection to one of ``target``'s checked addresses (for SMTP).

    :raise OSError: no address accepted the connection.
    """
    last_error: OSError | None = None
    for ip in target.addresses:
        try:
            return socket.create_connection((str(ip), target.port), timeout)
        except OSError as exc:
            last_error = exc
    raise last_error or OSError(f"could not connect to {target.host}")
