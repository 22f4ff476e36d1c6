"""Who else processes shopper data, as the privacy page lists it. The core knows only
the fixed ones (Stripe); an app above that connects the shop to someone else (the sales
channels) registers a provider here from its ``AppConfig.ready()``, so the page can name
them without the core, or the storefront beside it, importing that app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Processor:
    name: str
    purpose: str
    url: str = ""


STRIPE = Processor(
    name="Stripe",
    purpose="takes card and wallet payments; the shop never sees your card number",
    url="https://stripe.com/privacy",
)

_providers: list[Callable[[], list[Processor]]] = []


def processors_provider_register(provider: Callable[[], list[Processor]]) -> None:
    """Add ``provider``: a function returning the current shop's processors it knows of
    (one query at most). Registering the same function twice keeps one."""
    if provider not in _providers:
        _providers.append(provider)


def data_processors() -> list[Processor]:
    """Everyone who processes shopper data for the current shop: Stripe, then the
    registered providers' (the sales channels connected)."""
    processors = [STRIPE]
    for provider in _providers:
        processors.extend(provider())
    return processors
