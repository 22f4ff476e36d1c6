"""What the journeys' browser tests share: an email waited for in Django's test outbox (the
shop server runs in the test's process), and the page's width checked against the screen's."""

from __future__ import annotations

import time

from django.core import mail


def email_to(address: str, subject_part: str, seconds: float = 30) -> mail.EmailMessage:
    """The first email to ``address`` whose subject holds ``subject_part``, waited for."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for message in mail.outbox:
            if address in message.to and subject_part in message.subject:
                return message
        time.sleep(0.1)
    raise AssertionError(f"no email {subject_part!r} to {address}: {mail.outbox!r}")


def no_horizontal_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width} px wide"
