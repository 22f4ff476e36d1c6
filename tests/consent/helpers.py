"""Giving a shopper's confirmed marketing consent the way a shopper does: the box
ticked (``consent_request``), then the link of the confirmation email opened."""

from __future__ import annotations

from shops.consent.links import CONFIRM, consent_token
from shops.consent.models import MarketingConsent
from shops.consent.services import CHECKBOX_WORDING, consent_confirm, consent_request


def consent_confirmed(email: str, *, source: str = "checkout") -> MarketingConsent:
    """In the active shop: ``email`` asked and confirmed (the email itself is queued on
    commit, and not sent in a test that does not run the callbacks)."""
    consent_request(email=email, source=source, wording=CHECKBOX_WORDING)
    return consent_confirm(consent_token(email=email, purpose=CONFIRM))
