"""Wallets in the Payment Element: the shop's hosts registered at Stripe as payment
method domains, so Stripe's Payment Element offers Apple Pay and Google Pay on them
(docs.stripe.com/payments/payment-methods/pmd-registration).

A Connect shop's hosts are registered on its connected account (the platform's key and
the ``Stripe-Account`` header), a shop with its own keys in its own account. The worker
registers them (``orders.wallet_domains_register``, queued on commit, never in a
request) when the shop becomes able to sell (own keys proven, Stripe enabling charges
on the connected account) and when a custom domain is added (``shops.signals``). Each
run asks Stripe first and creates only what it lacks, so it is safe to run again; the
answers are kept on the PaymentAccount row for the Payments page. A run whose queueing
was lost (the broker down) or that gave up (Stripe unreachable through its retries) is
queued again by the beat's sweep (``orders.wallet_domains_sweep``): a host with no
answer recorded, a while after the last run or change. Hosts Stripe would
refuse (``localhost``, ``*.localhost``, the reserved ``.test``, ``.example``,
``.invalid``, ``.local``) are left out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from orders import stripe_client
from orders.models import PaymentAccount
from orders.payment_accounts import WALLET_DOMAINS_TASK, shop_payments
from shops.models import Domain, Shop
from shops.queueing import run_on_commit, task_queue, task_queue_on_commit

logger = logging.getLogger(__name__)

UNREGISTRABLE_SUFFIXES = (".localhost", ".test", ".example", ".invalid", ".local")


def host_registrable(host: str) -> bool:
    """Whether Stripe would register ``host``: not a local or reserved name."""
    host = host.lower().rstrip(".")
    return host != "localhost" and not host.endswith(UNREGISTRABLE_SUFFIXES) and "." in host


def wallet_domains_register_later() -> None:
    """Queue the registration of the active shop's hosts, once the transaction commits."""
    task_queue_on_commit(WALLET_DOMAINS_TASK)


def wallet_domains_register_later_for(shop: Shop) -> None:
    """Queue the registration of ``shop``'s hosts from anywhere (the platform's admin, in
    the public schema): queued after the commit, in the shop's schema."""

    def queue() -> None:
        with tenant_context(shop):
            task_queue(WALLET_DOMAINS_TASK)

    run_on_commit(queue)


def _hosts_registrable() -> list[str]:
    return sorted(
        host
        for host in Domain.objects.filter(tenant__schema_name=connection.schema_name).values_list(
            "domain", flat=True
        )
        if host_registrable(host)
    )


def wallet_domains_sweep() -> int:
    """Queue the registration again when one of the active shop's hosts has no answer
    recorded (neither registered nor refused by Stripe) while the shop can sell, and
    the last run and the last change of the payment setup are over
    QUEUE_SWEEP_AFTER_SECONDS old (a younger one still has its own task coming): the
    beat's ``orders.wallet_domains_sweep``, per shop. Returns how many were queued (0
    or 1); three queries when there is nothing to do, whatever the number of hosts."""
    payments = shop_payments()
    if not payments.can_sell or payments.credentials is None:
        return 0
    account = (
        PaymentAccount.objects.filter(id=1)
        .only("updated", "wallet_domains", "wallet_domains_checked_at")
        .first()
    )
    if account is None:
        return 0
    cutoff = timezone.now() - timedelta(seconds=settings.QUEUE_SWEEP_AFTER_SECONDS)
    latest = max(filter(None, [account.updated, account.wallet_domains_checked_at]))
    if latest > cutoff:
        return 0
    answered = {row.get("host") for row in account.wallet_domains}
    if not set(_hosts_registrable()) - answered:
        return 0
    return int(task_queue(WALLET_DOMAINS_TASK))


def _row(host: str, found: stripe_client.PaymentMethodDomain | None, problem: str = "") -> dict:
    if found is None:
        return {"host": host, "id": "", "enabled": False, "problem": problem}
    return {
        "host": host,
        "id": found.id,
        "enabled": found.enabled,
        "apple_pay": found.apple_pay,
        "google_pay": found.google_pay,
        "apple_pay_problem": found.apple_pay_problem,
        "google_pay_problem": found.google_pay_problem,
        "problem": problem,
    }


def wallet_domains_register() -> int:
    """Register the active shop's hosts at Stripe for wallets (those it lacks) and keep
    what Stripe says of each; the number of hosts registered now. Nothing when the shop
    cannot sell. Raises PaymentRetryableError when Stripe cannot be reached (what was
    learnt before is kept; the task tries again); a host Stripe refuses is recorded with
    Stripe's reason."""
    payments = shop_payments()
    if not payments.can_sell or payments.credentials is None:
        return 0
    hosts = _hosts_registrable()
    with transaction.atomic():
        # one run at a time per shop: two runs at once would both find a host missing
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                [f"wallet_domains:{connection.schema_name}"],
            )
        rows, created, unreachable = _register(payments.credentials, hosts)
        if rows:
            _keep(rows)
    if unreachable is not None:
        raise unreachable
    return created


def _register(
    credentials: stripe_client.Credentials, hosts: list[str]
) -> tuple[list[dict], int, stripe_client.PaymentRetryableError | None]:
    """Each of ``hosts`` found at Stripe or registered there, until Stripe cannot be
    reached: the rows learnt, how many were created, and that error if any."""
    rows: list[dict] = []
    created = 0
    for host in hosts:
        try:
            found = stripe_client.payment_method_domain_find(
                credentials=credentials, domain_name=host
            )
            if found is None:
                found = stripe_client.payment_method_domain_create(
                    credentials=credentials, domain_name=host
                )
                created += 1
            rows.append(_row(host, found))
        except stripe_client.PaymentRetryableError as exc:
            logger.warning("Stripe unreachable registering %s for wallets: %s", host, exc)
            return rows, created, exc
        except stripe_client.PaymentError as exc:
            logger.warning("Stripe refused to register %s for wallets: %s", host, exc)
            rows.append(_row(host, None, f"Stripe refused to register it: {exc}"))
    return rows, created, None


def _keep(rows: list[dict]) -> None:
    known = {row["host"]: row for row in rows}
    account = PaymentAccount.objects.filter(id=1).first()
    if account is None:
        return
    # hosts this run did not reach (Stripe went away) keep what was known of them
    kept = [row for row in account.wallet_domains if row.get("host") not in known]
    PaymentAccount.objects.filter(id=1).update(
        wallet_domains=sorted([*kept, *rows], key=lambda row: row["host"]),
        wallet_domains_checked_at=timezone.now(),
    )


@dataclass(frozen=True)
class WalletDomain:
    """A host of the shop as the Payments page shows it: each wallet in words."""

    host: str
    apple_pay: str
    google_pay: str
    ready: bool


def _wallet_words(row: dict, name: str) -> str:
    if row.get("problem"):
        return row["problem"]
    if not row.get("enabled"):
        return "Off: turn the domain on in Stripe (Settings → Payment method domains)."
    if row.get(name) == "active":
        return "Active"
    return row.get(f"{name}_problem") or "Not active yet: Stripe has not enabled it on this domain."


def wallet_domains() -> list[WalletDomain]:
    """The shop's hosts as Stripe last said of them (no call to Stripe, one query)."""
    account = PaymentAccount.objects.filter(id=1).only("wallet_domains").first()
    rows = account.wallet_domains if account is not None else []
    return [
        WalletDomain(
            host=row["host"],
            apple_pay=_wallet_words(row, "apple_pay"),
            google_pay=_wallet_words(row, "google_pay"),
            ready=_wallet_words(row, "apple_pay") == _wallet_words(row, "google_pay") == "Active",
        )
        for row in rows
    ]
