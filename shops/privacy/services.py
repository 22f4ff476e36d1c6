"""Shoppers' data rights in the current shop: the signed "My data" link, the export, the
erasure and their log, and the retention rules. What each domain holds, and how the
person is taken out of it, is the domain's own (``orders.services.privacy``,
``reviews.services.privacy``); this module composes them."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from orders.services.privacy import (
    checkouts_delete,
    checkouts_delete_before,
    orders_anonymise,
    orders_anonymise_before,
    orders_personal_counts,
    orders_personal_data,
)
from reviews.services.privacy import (
    ReviewsErasure,
    reviews_erase,
    reviews_personal_counts,
    reviews_personal_data,
)
from shops.audit.services import audit_record
from shops.consent.privacy import consents_erase, consents_personal_data
from shops.privacy.models import DataRequest
from shops.queueing import task_queue_on_commit
from shops.retention.selectors import retention_policy
from shops.selectors import current_shop
from shops.spreadsheets import row_neutralised

# a "My data" link works this long (seconds)
LINK_MAX_AGE = 24 * 3600
ANALYTICS_NOTE = (
    "The shop's analytics count page views, clicks and sales without any personal "
    "identifier (no email, no account, no address, no cookie id), so none of its events "
    "can be tied to you and none are listed here."
)
REVIEW_VOTES_NOTE = (
    "Helpful votes and poll votes are kept against a random token your browser held and a "
    "hashed network address. Those listed are the votes confirmed by email, and those cast "
    "from the browser you wrote a review with; others cannot be tied to your email."
)


class PrivacyLinkError(Exception):
    """A "My data" link that is tampered with, from another shop, or expired."""


def email_normalised(email: str) -> str:
    return email.strip().lower()


def email_digest(email: str) -> str:
    """A keyed hash of ``email`` (any case) in this shop: what the request log keeps."""
    key = f"{settings.SECRET_KEY}:privacy:{connection.schema_name}".encode()
    return hmac.new(key, email_normalised(email).encode(), hashlib.sha256).hexdigest()


def email_hint(email: str) -> str:
    """``ann@example.com`` → ``a…@example.com``: enough for a person to recognise."""
    local, _, domain = email_normalised(email).partition("@")
    return f"{local[:1]}…@{domain}"[:120]


# --- The signed link ------------------------------------------------------------------------


def _link_salt() -> str:
    # one purpose ("my-data"), one shop: a token of another purpose or shop is refused
    return f"shops.privacy.my-data:{connection.schema_name}"


def privacy_link_token(email: str) -> str:
    return signing.dumps({"email": email_normalised(email)}, salt=_link_salt())


def privacy_link_email(token: str, *, max_age: int = LINK_MAX_AGE) -> str:
    """The email a link was made for, in this shop, within ``max_age`` seconds;
    ``PrivacyLinkError`` otherwise."""
    try:
        value = signing.loads(token, salt=_link_salt(), max_age=max_age)
    except signing.SignatureExpired:
        raise PrivacyLinkError(
            "This link has expired (links work for 24 hours). Ask for a new one below."
        ) from None
    except signing.BadSignature:
        raise PrivacyLinkError(
            "This link is not valid in this shop. Ask for a new one below."
        ) from None
    email = value.get("email") if isinstance(value, dict) else None
    if not isinstance(email, str) or "@" not in email:
        raise PrivacyLinkError(
            "This link is not valid in this shop. Ask for a new one below."
        ) from None
    return email


def privacy_link_request(*, email: str, shop_address: str) -> None:
    """Queue the "My data" email to ``email`` (sent by the worker, after the commit, and
    only if the shop holds something about it: the asker sees the same answer either
    way, and learns nothing from how long it took)."""
    task_queue_on_commit("privacy.link_email", email_normalised(email), shop_address)


def privacy_link_send(*, email: str, shop_address: str) -> bool:
    """Send the "My data" link to ``email`` when the shop holds data about it; True when
    sent. Run by the worker, in the shop's schema."""
    if not any(data_summary(email).values()):
        return False
    shop = current_shop()
    link = f"{shop_address}/my-data/{privacy_link_token(email)}/"
    context = {"shop": shop, "link": link, "hours": LINK_MAX_AGE // 3600}
    send_mail(
        subject=f"Your data at {shop.name}",
        message=render_to_string("privacy/email/link.txt", context),
        from_email=None,
        recipient_list=[email],
    )
    return True


# --- What the shop holds ----------------------------------------------------------------------


def _consents(email: str) -> list[dict[str, Any]]:
    """The shopper's marketing consents: what was asked with which words, when, and
    when it was confirmed or withdrawn (``shops.consent``)."""
    return consents_personal_data(email)


def data_summary(email: str) -> dict[str, int]:
    """How many of each kind the shop holds about ``email`` (a few counting queries)."""
    return {
        **orders_personal_counts(email),
        **reviews_personal_counts(email),
        "consents": len(_consents(email)),
    }


def data_export(email: str) -> dict[str, Any]:
    """Everything the shop holds about ``email``, as one JSON-ready dict."""
    shop = current_shop()
    return {
        "shop": shop.name,
        "email": email_normalised(email),
        "exported_at": timezone.now().isoformat(),
        **orders_personal_data(email),
        **reviews_personal_data(email),
        "marketing_consents": _consents(email),
        "analytics_events": [],
        "notes": {"analytics_events": ANALYTICS_NOTE, "votes": REVIEW_VOTES_NOTE},
    }


def data_export_json(export: dict[str, Any]) -> bytes:
    return json.dumps(export, indent=2, ensure_ascii=False).encode()


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(row_neutralised(row.get(column, "") for column in columns))
    return buffer.getvalue()


def _flat(row: dict[str, Any], *, nested: tuple[str, ...]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if key in nested:
            continue
        if isinstance(value, dict):
            flat |= {f"{key}_{inner}": item for inner, item in value.items()}
        elif isinstance(value, list):
            flat[key] = " ".join(str(item) for item in value)
        else:
            flat[key] = value
    return flat


def data_export_zip(export: dict[str, Any]) -> bytes:
    """The export as a zip of CSV files, one per kind (an order's lines, parcels and
    refunds in their own files, by order number), and a README with the notes."""
    nested = ("lines", "fulfilments", "refunds")
    files: dict[str, list[dict[str, Any]]] = {}
    for kind in ("orders", "checkouts"):
        files[f"{kind}.csv"] = [_flat(order, nested=nested) for order in export[kind]]
        for part in nested:
            files[f"{kind}_{part}.csv"] = [
                {"order": order["number"], **item} for order in export[kind] for item in order[part]
            ]
    for kind in (
        "reviews",
        "poll_votes",
        "helpful_votes",
        "poll_notifications",
        "marketing_consents",
    ):
        files[f"{kind}.csv"] = [_flat(row, nested=()) for row in export[kind]]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        readme = [
            f"Your data at {export['shop']} for {export['email']}, {export['exported_at']}.",
            "",
            *export["notes"].values(),
        ]
        archive.writestr("README.txt", "\n".join(readme) + "\n")
        for name, rows in files.items():
            archive.writestr(name, _csv(rows))
    return buffer.getvalue()


# --- Requests: export, erasure, and their log -------------------------------------------------


@dataclass(frozen=True)
class Requester:
    """Who asked: the shopper (from their link) or a staff member (``label``)."""

    by: str  # DataRequest.RequestedBy
    label: str = ""


SHOPPER = Requester(DataRequest.RequestedBy.SHOPPER)


def _record(
    *, kind: str, email: str, requester: Requester, summary: dict, status: str
) -> DataRequest:
    now = timezone.now()
    return DataRequest.objects.create(
        kind=kind,
        requested_by=requester.by,
        staff_label=requester.label[:200],
        email_hash=email_digest(email),
        email_hint=email_hint(email),
        status=status,
        summary=summary,
        created=now,
        completed_at=now if status == DataRequest.Status.COMPLETED else None,
    )


def data_request_export(*, email: str, requester: Requester) -> dict[str, Any]:
    """``data_export(email)``, logged as a request (and in the audit log for staff)."""
    export = data_export(email)
    summary = {
        kind: len(export[kind])
        for kind in (
            "orders",
            "checkouts",
            "reviews",
            "poll_votes",
            "helpful_votes",
            "poll_notifications",
        )
    }
    with transaction.atomic():
        request = _record(
            kind=DataRequest.Kind.EXPORT,
            email=email,
            requester=requester,
            summary=summary,
            status=DataRequest.Status.COMPLETED,
        )
        audit_record(action="privacy.export", target=request, note=f"Export for {request}")
    return export


def data_erase(email: str, *, reviews: ReviewsErasure = "remove") -> dict[str, int]:
    """Take ``email`` out of everything the shop holds, in one transaction (all or
    nothing; files are deleted after the commit): orders anonymised (amounts kept),
    ended checkouts deleted, reviews removed or anonymised as ``reviews`` says, poll
    votes kept counted but untied, launch notifications deleted, marketing consents
    deleted (a keyed hash of the address is kept, so no marketing email reaches it
    again). Running it again finds
    nothing left to do. Returns the counts of what was done, by kind."""
    with transaction.atomic():
        done = {
            "orders_anonymised": orders_anonymise(email),
            "checkouts_deleted": checkouts_delete(email),
        }
        done |= reviews_erase(email, reviews=reviews)
        done["consents_deleted"] = consents_erase(email)
    return done


def data_request_erase(
    *, email: str, requester: Requester, reviews: ReviewsErasure = "remove"
) -> dict[str, int]:
    """``data_erase``, logged with it in one transaction (and in the audit log for
    staff). A failure changes nothing and is logged as failed, then raised."""
    try:
        with transaction.atomic():
            done = data_erase(email, reviews=reviews)
            request = _record(
                kind=DataRequest.Kind.ERASURE,
                email=email,
                requester=requester,
                summary={**done, "reviews": reviews},
                status=DataRequest.Status.COMPLETED,
            )
            audit_record(action="privacy.erasure", target=request, note=f"Erasure for {request}")
    except Exception:
        _record(
            kind=DataRequest.Kind.ERASURE,
            email=email,
            requester=requester,
            summary={"reviews": reviews},
            status=DataRequest.Status.FAILED,
        )
        raise
    return done


# --- Retention -------------------------------------------------------------------------------


def retention_apply(*, now: datetime | None = None) -> dict[str, int]:
    """The shop's retention policy, applied (beat, daily, every shop): ended checkouts
    older than its days deleted, paid orders older than its days anonymised (as an
    erasure does). Raw analytics events are dropped by the insights with the same
    policy. Returns the counts."""
    now = now or timezone.now()
    policy = retention_policy()
    return {
        "checkouts_deleted": checkouts_delete_before(
            now - timedelta(days=policy.abandoned_checkout_days)
        ),
        "orders_anonymised": orders_anonymise_before(
            now - timedelta(days=policy.order_anonymise_days)
        ),
    }
