"""A mail server on loopback for tests whose email goes out from another process (a real
Celery worker): it speaks the SMTP a client needs to send (RFC 5321: EHLO/HELO, MAIL,
RCPT, DATA, RSET, NOOP, QUIT, no TLS, no auth) and keeps each message as received."""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage


class _Session(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 fake-smtp ready")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 fake-smtp")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                body = []
                while (data := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    body.append(data[1:] if data.startswith(b"..") else data)
                message = message_from_bytes(b"".join(body), policy=policy.default)
                self.server.received.append((recipients, message))
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:  # RSET, NOOP and anything else
                self.reply("250 OK")


class FakeSMTP(socketserver.ThreadingTCPServer):
    """``with FakeSMTP() as server``: listening on ``server.port``; ``server.received``
    holds ``(recipients, message)`` pairs."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Session)
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.port = self.server_address[1]

    def __enter__(self) -> FakeSMTP:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
