"""The one outbound HTTP client: every request the project sends to another server (image
fetches, webhook deliveries, the platform clients) goes through ``http_request``.

- **One total deadline.** A socket timeout bounds each read, not the request: a server
  that sends one byte every two seconds never trips a ten-second timeout and can hold a
  worker for as long as it likes. ``Deadline`` bounds the whole exchange (DNS answer
  aside: connect, TLS handshake, headers, body, every redirect): when it passes, the
  connections it watches are shut down, which wakes any read blocked on them, and the
  request raises ``DeadlineExceeded``.
- **Pinned to the address it checked.** The host is resolved once per hop. With the
  guard on (``allow_private=False``) every address it resolves to must be public: a
  loopback, private, link-local, shared, reserved, multicast or unspecified address is
  refused (``AddressRefused``: no fetching the cloud's metadata service or the
  platform's own network), unless OUTBOUND_ALLOWED_NETWORKS names it. The connection is
  then made to that exact address, so a second DNS answer (DNS rebinding) cannot send it
  elsewhere; the Host header, TLS SNI and the certificate check still use the name. A
  name that does not resolve is refused too (``HostUnresolvable``).
- **Every redirect checked** the same way (http or https, resolved, guarded, pinned), at
  most ``max_redirects`` of them, for GET and HEAD only.
- **A size limit on the body.** More than ``max_bytes`` is refused (``BodyTooLarge``,
  from the Content-Length header when it says so), or cut there with ``truncate``.

Every failure is an ``OutboundError`` (an ``OSError``, as a socket's failure is); an
answer of any status is returned as a ``Response``: each caller decides what a status
means for it.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType

from django.conf import settings

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "Etalage/1.0"


class OutboundError(OSError):
    """An outbound request that got no usable answer."""


class UrlRefused(OutboundError):
    """Not an http(s) URL with a host (the URL asked for, or where it redirected)."""

    def __init__(self, url: str) -> None:
        super().__init__(f"{url} is not an http(s) address.")
        self.url = url


class HostUnresolvable(OutboundError):
    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host} could not be resolved ({reason})")
        self.host = host


class AddressRefused(OutboundError):
    """The host resolves to an address the guard refuses (private, loopback, ...)."""

    def __init__(self, host: str, address: str, *, is_redirect: bool = False) -> None:
        super().__init__(f"{host} resolves to {address}, a private address.")
        self.host = host
        self.address = address
        self.is_redirect = is_redirect  # refused where a redirect led


class BodyTooLarge(OutboundError):
    def __init__(self, *, status: int, limit: int) -> None:
        super().__init__(f"the answer is larger than {limit} bytes")
        self.status = status
        self.limit = limit


class TooManyRedirects(OutboundError):
    pass


class DeadlineExceeded(OutboundError, TimeoutError):
    pass


class RequestFailed(OutboundError):
    """The connection or the exchange failed (refused, reset, a malformed answer); the
    socket's or http.client's own error is its ``__cause__``."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    url: str  # where the answer came from (after redirects)


class Deadline:
    """A total time budget for one request; use as a context manager around it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires_at = time.monotonic() + seconds
        self.is_expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(max(seconds, 0), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._timer.cancel()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for duplicate in sockets:
            duplicate.close()

    def remaining(self) -> float:
        return max(self.expires_at - time.monotonic(), 0.0)

    def watch(self, sock: socket.socket) -> socket.socket:
        """Shut ``sock`` down when the deadline passes (now, if it has). A duplicate of
        the descriptor is kept, so a TLS wrap (which detaches the original object) or
        the connection's own close cannot make the shutdown hit another socket."""
        duplicate = sock.dup()
        with self._lock:
            self._sockets.append(duplicate)
            expired = self.is_expired
        if expired:
            _shutdown(duplicate)
        return sock

    def _expire(self) -> None:
        with self._lock:
            self.is_expired = True
            sockets = list(self._sockets)
        for duplicate in sockets:
            _shutdown(duplicate)

    def timeout_error(self) -> DeadlineExceeded:
        return DeadlineExceeded(f"timed out: no complete answer within {self.seconds:g} s")


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        sock.shutdown(socket.SHUT_RDWR)


# --- Where a request may go ----------------------------------------------------------------


def address_is_public(address: str) -> bool:
    """Whether ``address`` (an IP, as DNS answers it) is on the public internet: not
    loopback, private, link-local, shared (carrier NAT), reserved, multicast or
    unspecified. An IPv4 address inside IPv6 (``::ffff:10.0.0.1``) is judged as IPv4."""
    ip = ipaddress.ip_address(address.split("%")[0])  # an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    refused = (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )
    return ip.is_global and not refused


def _allowed_anyway(address: str) -> bool:
    """OUTBOUND_ALLOWED_NETWORKS: networks reached even with the guard on (a proxy or a
    mirror of yours; tests use it for a local server standing in for a public host)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    return any(
        ip in ipaddress.ip_network(network, strict=False)
        for network in settings.OUTBOUND_ALLOWED_NETWORKS
    )


def host_resolve(
    host: str, port: int, *, allow_private: bool, is_redirect: bool = False
) -> list[str]:
    """The addresses of ``host`` to connect to, resolved once. HostUnresolvable when it
    has none; AddressRefused when one of them is not public and ``allow_private`` is off
    (a name answering both a public and a private address is refused)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise HostUnresolvable(host, getattr(error, "strerror", None) or str(error)) from None
    addresses = list(dict.fromkeys(str(answer[4][0]) for answer in answers))
    if not addresses:
        raise HostUnresolvable(host, "no address")
    if not allow_private:
        for address in addresses:
            if not (address_is_public(address) or _allowed_anyway(address)):
                raise AddressRefused(host, address, is_redirect=is_redirect)
    return addresses


def url_check(url: str) -> urllib.parse.SplitResult:
    """``url`` split, if it is http(s) with a host; UrlRefused otherwise."""
    parts = urllib.parse.urlsplit(url or "")
    try:
        parts.port  # noqa: B018 (a port that is not a number raises ValueError)
    except ValueError:
        raise UrlRefused(url) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlRefused(url)
    return parts


# --- The request ----------------------------------------------------------------------------


def _connect(addresses: list[str], port: int, deadline: Deadline) -> socket.socket:
    """A socket to the first of ``addresses`` that answers, watched by ``deadline``."""
    last_error: OSError = OSError("no address")
    for address in addresses:
        if deadline.is_expired:
            break
        try:
            timeout = max(deadline.remaining(), 0.01)  # 0 would make the socket non-blocking
            sock = socket.create_connection((address, port), timeout=timeout)
        except OSError as error:
            last_error = error
            continue
        return deadline.watch(sock)
    if deadline.is_expired:
        raise deadline.timeout_error()
    raise last_error


def _pinned_connection(
    parts: urllib.parse.SplitResult, addresses: list[str], deadline: Deadline
) -> http.client.HTTPConnection:
    """A connection to ``parts``' host by name (Host header, SNI, certificate) whose
    socket goes to one of ``addresses``, never to a second DNS answer."""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname, port, timeout=deadline.seconds)
    # http.client opens its socket through _create_connection((host, port), ...); the TLS
    # wrap that follows (HTTPSConnection) still names the host, so the certificate is
    # checked against the name
    connection._create_connection = lambda *args, **kwargs: _connect(addresses, port, deadline)
    return connection


def _exchange(
    connection: http.client.HTTPConnection,
    method: str,
    target: str,
    *,
    body: bytes | None,
    headers: dict[str, str],
    max_bytes: int,
    truncate: bool,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    connection.request(method, target, body=body, headers=headers)
    response = connection.getresponse()
    length = response.headers.get("Content-Length", "")
    if not truncate and length.isdigit() and int(length) > max_bytes:
        raise BodyTooLarge(status=response.status, limit=max_bytes)
    data = b"" if method == "HEAD" else response.read(max_bytes + 1)
    if len(data) > max_bytes:
        if not truncate:
            raise BodyTooLarge(status=response.status, limit=max_bytes)
        data = data[:max_bytes]
    return response.status, response.headers, data


def http_request(
    method: str,
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    allow_private: bool,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    max_redirects: int = 10,
    truncate: bool = False,
) -> Response:
    """Send one request and read its answer within ``timeout`` seconds in all.

    ``allow_private`` turns the address guard off (a setting of each caller's, for
    development and tests; or a destination that comes from the settings, not from a
    user). A redirect of a GET or HEAD is followed (at most ``max_redirects``; 0 returns
    the 3xx as it is), each hop checked as the first. The body is read up to
    ``max_bytes``: more is BodyTooLarge, or cut there with ``truncate``.

    Raises an OutboundError: UrlRefused, HostUnresolvable, AddressRefused, BodyTooLarge,
    TooManyRedirects, DeadlineExceeded, RequestFailed.
    """
    method = method.upper()
    sent_headers = {"User-Agent": USER_AGENT, "Connection": "close", **(headers or {})}
    redirects = 0
    with Deadline(timeout) as deadline:
        while True:
            parts = url_check(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            addresses = host_resolve(
                parts.hostname or "", port, allow_private=allow_private, is_redirect=redirects > 0
            )
            connection = _pinned_connection(parts, addresses, deadline)
            target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
            try:
                status, answer_headers, data = _exchange(
                    connection,
                    method,
                    target,
                    body=body,
                    headers=sent_headers,
                    max_bytes=max_bytes,
                    truncate=truncate,
                )
            except (OSError, http.client.HTTPException) as error:
                # a socket's own timeout (as long as the deadline) may fire first: same thing
                if deadline.is_expired or isinstance(error, TimeoutError):
                    raise deadline.timeout_error() from None
                if isinstance(error, OutboundError):
                    raise
                raise RequestFailed(str(error) or type(error).__name__) from error
            finally:
                connection.close()
            if deadline.is_expired:  # a read cut short can look like the end of the body
                raise deadline.timeout_error()
            location = answer_headers.get("Location")
            if not (status in REDIRECT_STATUSES and location and method in ("GET", "HEAD")):
                return Response(status=status, headers=answer_headers, body=data, url=url)
            if redirects >= max_redirects:
                if max_redirects == 0:
                    return Response(status=status, headers=answer_headers, body=data, url=url)
                raise TooManyRedirects(f"more than {max_redirects} redirects")
            redirects += 1
            url = urllib.parse.urljoin(url, location)
