"""Marketing consent: asking (double opt-in), confirming, withdrawing, and the one gate
every marketing email goes through (``marketing_allowed``), with the headers and footer
each one carries (``marketing_message``: RFC 8058 one-click unsubscribe).

A request never waits on the mail server: the confirmation email is queued after the
commit (``consent.confirmation_send``), sent by the worker."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import Counter
from collections.abc import Mapping

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from shops.audit.services import audit_record
from shops.consent.links import CONFIRM, consent_confirm_path, consent_token_email, unsubscribe_path
from shops.consent.models import ErasedAddress, MarketingConsent, MarketingHeld
from shops.consent.regions import opt_in_required
from shops.queueing import task_queue_on_commit
from shops.ratelimits import email_rate_allowed
from shops.selectors import current_shop, shop_url

logger = logging.getLogger(__name__)

# what the checkbox says, everywhere it is shown; kept with each consent as it was
CHECKBOX_WORDING = "Email me news, polls and review requests"

Status = MarketingConsent.Status
Kind = MarketingHeld.Kind


class ConsentError(Exception):
    """A consent request or link that cannot be acted on; the message says why."""


def email_normalise(email: str) -> str:
    return (email or "").strip().lower()


def erased_digest(email: str) -> str:
    """A keyed hash of ``email`` (lower case): what the suppression list keeps."""
    key = f"consent.erased:{settings.SECRET_KEY}".encode()
    return hmac.new(key, email_normalise(email).encode(), hashlib.sha256).hexdigest()


def consent_request(*, email: str, source: str, wording: str) -> MarketingConsent:
    """The shopper ticked the box: record a pending consent for ``email`` with the
    ``wording`` they saw and queue the confirmation email after the commit. A confirmed
    consent stays as it is; a pending one is asked again at most once every
    CONSENT_CONFIRM_RESEND_SECONDS (and within ACCOUNTS_RATE_EMAIL), so nobody can
    flood an inbox with confirmations. A bad address is a ``ConsentError``."""
    email = email_normalise(email)
    try:
        validate_email(email)
    except Exception:
        raise ConsentError("Enter a valid email address.") from None
    if source not in MarketingConsent.Source.values:
        raise ConsentError(f"Unknown consent source {source!r}.")
    now = timezone.now()
    with transaction.atomic():
        MarketingConsent.objects.get_or_create(
            email=email, defaults={"source": source, "wording": wording, "asked_at": now}
        )
        consent = MarketingConsent.objects.select_for_update().get(email=email)
        if consent.status == Status.CONFIRMED:
            return consent
        recently = (
            consent.confirmation_sent_at is not None
            and (now - consent.confirmation_sent_at).total_seconds()
            < settings.CONSENT_CONFIRM_RESEND_SECONDS
        )
        consent.status = Status.PENDING
        consent.source, consent.wording, consent.asked_at = source, wording[:2000], now
        consent.withdrawn_at, consent.withdrawn_via = None, ""
        send = not recently and email_rate_allowed(scope="consent-confirm", email=email)
        if send:
            consent.confirmation_sent_at = now
            task_queue_on_commit("consent.confirmation_send", consent.pk)
        consent.save()
    return consent


def consent_confirmation_send(*, consent_id: int) -> bool:
    """Email the double opt-in link of a pending consent (worker); False when it is no
    longer pending (confirmed or withdrawn since, or gone)."""
    consent = MarketingConsent.objects.filter(pk=consent_id, status=Status.PENDING).first()
    if consent is None:
        return False
    shop = current_shop()
    context = {
        "shop": shop,
        "consent": consent,
        "confirm_url": shop_url(shop) + consent_confirm_path(email=consent.email),
        "hours": settings.CONSENT_CONFIRM_LINK_HOURS,
    }
    EmailMultiAlternatives(
        subject=f"Confirm you want emails from {shop.name}",
        body=render_to_string("consent/email/confirm.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[consent.email],
    ).send()
    return True


def consent_confirm(token: str) -> MarketingConsent:
    """The shopper opened the confirmation link: their consent is confirmed (opening it
    again changes nothing). A bad, expired or other shop's link, or a consent withdrawn
    since, is a ``ConsentError``."""
    try:
        email = consent_token_email(token, purpose=CONFIRM)
    except Exception as error:
        raise ConsentError(str(error)) from None
    with transaction.atomic():
        consent = MarketingConsent.objects.select_for_update().filter(email=email).first()
        if consent is None:
            raise ConsentError("There is nothing to confirm for this address any more.")
        if consent.status == Status.WITHDRAWN:
            raise ConsentError(
                "You unsubscribed since this link was sent; tick the box again to sign up."
            )
        if consent.status == Status.PENDING:
            consent.status, consent.confirmed_at = Status.CONFIRMED, timezone.now()
            consent.save(update_fields=["status", "confirmed_at", "updated"])
    return consent


def consent_withdraw(*, email: str, via: str) -> MarketingConsent:
    """No more marketing email to ``email`` from this shop, at once: its consent is
    withdrawn (one is recorded if there was none, so the opt-out holds where no consent
    was needed). Idempotent. A staff member's withdrawal is audited."""
    email = email_normalise(email)
    now = timezone.now()
    with transaction.atomic():
        consent, _created = MarketingConsent.objects.get_or_create(
            email=email,
            defaults={"status": Status.WITHDRAWN, "source": MarketingConsent.Source.UNSUBSCRIBE},
        )
        consent = MarketingConsent.objects.select_for_update().get(pk=consent.pk)
        if consent.withdrawn_at is None or consent.status != Status.WITHDRAWN:
            before = consent.status
            consent.status, consent.withdrawn_at, consent.withdrawn_via = (
                Status.WITHDRAWN,
                now,
                via[:40],
            )
            consent.save()
            audit_record(
                action="consent.withdraw",
                target=consent,
                changes={"status": (before, Status.WITHDRAWN)},
            )
    return consent


def marketing_allowed(
    email: str, *, kind: str, currency: str | None = None, shopper_country: str = ""
) -> bool:
    """The gate of every marketing email: whether the shop may send one of ``kind`` to
    ``email`` now (``marketing_recipients`` for one address)."""
    allowed = marketing_recipients({email: shopper_country}, kind=kind, currency=currency)
    return email_normalise(email) in allowed


def marketing_recipients(
    recipients: Mapping[str, str], *, kind: str, currency: str | None = None
) -> set[str]:
    """The gate for many addresses at once (``{address: shopper's country or ""}``): the
    addresses (lower case) the shop may send a marketing email of ``kind`` to now. Never
    after an unsubscribe or an erasure; where the shop's currency or the shopper's
    country asks for prior consent (``regions.opt_in_required``, the stricter wins), only
    with a confirmed one. Refusals are counted per kind and reason for the merchant
    (``MarketingHeld``) and logged. A few queries, however many addresses."""
    wanted: dict[str, str] = {}
    for email, country in recipients.items():
        wanted[email_normalise(email)] = country or wanted.get(email_normalise(email), "")
    if not wanted:
        return set()
    statuses = dict(
        MarketingConsent.objects.filter(email__in=wanted).values_list("email", "status")
    )
    digests = {email: erased_digest(email) for email in wanted if email not in statuses}
    erased = set(
        ErasedAddress.objects.filter(digest__in=digests.values()).values_list("digest", flat=True)
    )
    currency = currency or current_shop().currency
    allowed: set[str] = set()
    held: Counter[str] = Counter()
    for email, country in wanted.items():
        status = statuses.get(email)
        if status == Status.CONFIRMED:
            allowed.add(email)
        elif status == Status.WITHDRAWN or digests.get(email) in erased:
            held[MarketingHeld.Reason.WITHDRAWN] += 1
        elif opt_in_required(currency=currency, shopper_country=country):
            held[MarketingHeld.Reason.NO_CONSENT] += 1
        else:
            allowed.add(email)
    for reason, count in held.items():
        marketing_held_count(kind=kind, reason=reason, count=count)
        logger.info("marketing %s: %d not sent (%s)", kind, count, reason)
    return allowed


def marketing_held_count(*, kind: str, reason: str, count: int = 1) -> None:
    day = timezone.localdate()
    MarketingHeld.objects.get_or_create(kind=kind, reason=reason, day=day)
    MarketingHeld.objects.filter(kind=kind, reason=reason, day=day).update(count=F("count") + count)


def unsubscribe_url(*, email: str) -> str:
    """The one-click unsubscribe link of ``email`` on the shop's host."""
    return shop_url(current_shop()) + unsubscribe_path(email=email)


def marketing_message(
    *, to: str, subject: str, text: str, html: str = "", link: str = ""
) -> EmailMultiAlternatives:
    """A marketing email to ``to``, ready to send: RFC 8058 one-click unsubscribe headers
    (``List-Unsubscribe`` with the shop's HTTPS link, ``List-Unsubscribe-Post``) and the
    same link at the foot of the text (an ``html`` body shows it itself, from the
    ``unsubscribe_url`` its template was given: pass it as ``link``, so the body and
    the header carry the same one). Call ``marketing_allowed`` first."""
    url = link or unsubscribe_url(email=to)
    shop = current_shop()
    footer = render_to_string("consent/email/footer.txt", {"shop": shop, "unsubscribe_url": url})
    message = EmailMultiAlternatives(
        subject=subject,
        body=text.rstrip("\n") + "\n\n" + footer,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message
