"""What the shopper data rights (export and erasure, "My data") read and erase of the
consent records: ``consents_personal_data`` and ``consents_erase``."""

from __future__ import annotations

from django.db import transaction

from shops.consent.models import ErasedAddress, MarketingConsent
from shops.consent.services import email_normalise, erased_digest


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def consents_personal_data(email: str) -> list[dict]:
    """The consent records this shop holds about ``email`` (any case), as plain values
    for an export: address, status, where and with which words it was asked, when it was
    asked, confirmed and withdrawn."""
    return [
        {
            "email": consent.email,
            "status": consent.status,
            "source": consent.source,
            "wording": consent.wording,
            "asked_at": _iso(consent.asked_at),
            "confirmed_at": _iso(consent.confirmed_at),
            "withdrawn_at": _iso(consent.withdrawn_at),
            "withdrawn_via": consent.withdrawn_via,
        }
        for consent in MarketingConsent.objects.filter(email=email_normalise(email))
    ]


@transaction.atomic
def consents_erase(email: str) -> int:
    """Erase the consent records of ``email``: the rows are deleted, and a keyed hash of
    the address is kept (no address) so that no marketing email reaches it again; how
    many rows were deleted."""
    deleted, _by_model = MarketingConsent.objects.filter(email=email_normalise(email)).delete()
    ErasedAddress.objects.get_or_create(digest=erased_digest(email))
    return deleted
