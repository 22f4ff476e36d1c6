"""One total deadline per outbound HTTP request.

A socket timeout bounds each read, not the request: a server that sends one byte every
two seconds never trips a ten-second timeout and can hold a worker for as long as it
likes. ``Deadline`` bounds the whole exchange (connect, TLS handshake, headers, body):
when it passes, the connections it watches are shut down, which wakes any read blocked
on them, and whatever the request raised or returned becomes ``TimeoutError``.

Every outbound call of the project goes through here: ``deadline_open`` for urllib
(image fetches, platform clients) and ``Deadline.watch`` for a hand-built
``http.client`` connection (webhook deliveries).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType


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

    def timeout_error(self) -> TimeoutError:
        return TimeoutError(f"timed out: no complete answer within {self.seconds:g} s")


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        sock.shutdown(socket.SHUT_RDWR)


def _watched(connection_class: type[http.client.HTTPConnection], deadline: Deadline) -> Callable:
    """A connection factory for urllib's ``do_open`` whose sockets ``deadline`` watches."""

    def create(host: str, **kwargs) -> http.client.HTTPConnection:
        connection = connection_class(host, **kwargs)
        create_connection = connection._create_connection
        connection._create_connection = lambda *args, **kw: deadline.watch(
            create_connection(*args, **kw)
        )
        return connection

    return create


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req):
        return self.do_open(_watched(http.client.HTTPConnection, self.deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req):
        return self.do_open(
            _watched(http.client.HTTPSConnection, self.deadline), req, context=self._context
        )


@contextmanager
def deadline_open(
    request: urllib.request.Request,
    *,
    timeout: float,
    handlers: tuple[urllib.request.BaseHandler, ...] = (),
) -> Iterator[http.client.HTTPResponse]:
    """``urllib``'s open, where ``timeout`` bounds the whole request, redirects and the
    reads done inside the ``with`` block included. Raises TimeoutError once it passes
    (even when the cut-short read looked like a normal end of the body); HTTPError and
    URLError as urllib does otherwise."""
    with Deadline(timeout) as deadline:
        opener = urllib.request.build_opener(
            *handlers, _DeadlineHTTPHandler(deadline), _DeadlineHTTPSHandler(deadline)
        )
        try:
            with opener.open(request, timeout=timeout) as response:
                yield response
        except (OSError, http.client.HTTPException):
            if deadline.is_expired:
                raise deadline.timeout_error() from None
            raise
        if deadline.is_expired:
            raise deadline.timeout_error()
