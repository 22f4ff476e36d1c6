"""Who is acting: the staff account or the API key behind the current request.

A context variable, so it belongs to the request's thread (and context) only; the
middleware resets it when the request ends, so a worker thread never carries one
request's actor into the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """``kind`` is ``staff`` (``id`` a staff account's) or ``api_key`` (an API key's);
    ``label`` is how the log names them (the email, or the key's name and prefix)."""

    kind: str
    id: int
    label: str

    STAFF = "staff"
    API_KEY = "api_key"


_current: ContextVar[Actor | None] = ContextVar("etalage_audit_actor", default=None)


def current_actor() -> Actor | None:
    return _current.get()


def actor_set(actor: Actor | None) -> Token:
    """Make ``actor`` the current one; give the token to ``actor_reset`` when done."""
    return _current.set(actor)


def actor_reset(token: Token) -> None:
    _current.reset(token)


def staff_actor(user: object) -> Actor | None:
    """The actor for a signed-in staff account, None for anyone else."""
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False)):
        return None
    return Actor(kind=Actor.STAFF, id=user.pk, label=str(user.email))


@contextmanager
def acting_as(actor: Actor | None) -> Iterator[None]:
    """The block runs with ``actor`` as the current actor (a command, a test)."""
    token = actor_set(actor)
    try:
        yield
    finally:
        actor_reset(token)
