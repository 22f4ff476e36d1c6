"""A local stand-in for what localstripe lacks: Stripe Connect onboarding, the key check
and the webhook endpoints API, following Stripe's documented requests, answers and
errors (docs.stripe.com/api/accounts, /api/account_links, /api/balance,
/api/webhook_endpoints, /api/errors). localstripe has no Connect, no webhook endpoints
API and takes any ``sk_`` key; it stays the server for PaymentIntents.

Keys: ``platform_key`` is the platform's (it creates connected accounts);
``merchant_key(key)`` adds a shop's own Stripe account with that key (a restricted
``rk_`` key may get only some ``permissions``). Any other key is answered as Stripe does:
401 ``Invalid API Key provided: sk_test_****abcd``.

- ``POST /v1/accounts`` (platform key): ``type`` standard or express (required),
  ``email``, ``metadata``, ``capabilities``. A new account cannot take charges yet and
  lists what Stripe needs in ``requirements.currently_due``. An ``Idempotency-Key``
  gives the first answer again, or 400 ``idempotency_error`` for other parameters.
- ``GET /v1/accounts/{id}``: a connected account of the platform; any other → 403.
- ``GET /v1/account``: the key's own account. ``GET /v1/balance``: its (empty) balance.
- ``POST /v1/account_links``: ``account``, ``refresh_url``, ``return_url``, ``type``
  (``account_onboarding`` or ``account_update``), each required (400
  ``parameter_missing``); the ``url`` is single use and expires after 300 s.
- ``GET /setup/e/{account}/{token}``, the onboarding "page": a small HTML form. A used
  or expired link sends the browser to ``refresh_url``, as Stripe's does. Posting it
  with "Agree and submit" gives Stripe what it needs (charges and payouts enabled,
  nothing due; an unticked terms box leaves that due), "Save for later" changes nothing;
  a changed account sends a signed ``account.updated`` to the platform's Connect
  webhook (``connect_webhook_url``, in the background, as Stripe does), then 303 to
  ``return_url``.
- Balance and payouts of a connected account, asked with the platform's key and the
  ``Stripe-Account`` header (an account not connected to the platform → 403):
  ``GET /v1/charges?payment_intent=…`` (``expand[]=data.balance_transaction`` gives each
  charge's balance transaction instead of its id), ``GET /v1/balance_transactions``
  (``source``, ``type``, ``limit``), ``GET /v1/balance_transactions/{id}``,
  ``GET /v1/payouts`` (``status``, ``limit``; newest first). ``charge`` arranges a direct
  charge with its balance transaction (Stripe's fee, the platform's application fee,
  the net, as in ``fee_details``), ``payout`` a payout; ``failing`` makes these answer
  500 as Stripe does when it is down.
- ``POST /v1/webhook_endpoints`` (``url``, ``enabled_events[]``; a restricted key needs
  ``webhook_write``: 403 otherwise), ``GET``/``DELETE /v1/webhook_endpoints/{id}``,
  ``GET /v1/webhook_endpoints``: per account; the ``secret`` only in the creation's
  answer. ``endpoint_event`` signs an event with an endpoint's secret, as Stripe would
  send it.
- ``POST /v1/payment_method_domains`` (``domain_name`` required: 400
  ``parameter_missing``; a local or reserved name such as ``*.localhost``: 400
  ``invalid_domain_name``) and ``GET /v1/payment_method_domains`` (``domain_name``,
  ``limit``): per account (the ``Stripe-Account`` header's with Connect), objects
  ``payment_method_domain`` with ``enabled`` and the ``apple_pay``/``google_pay``/``link``
  ``status``; ``wallet_status[domain]`` makes Apple Pay ``inactive`` with that
  ``status_details.error_message``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

import requests

from tests.channels.fake_http import FakeServer, JsonHandler

LINK_SECONDS = 300
KNOWN_EVENTS = {
    "*",
    "account.updated",
    "balance.available",
    "charge.succeeded",
    "charge.failed",
    "charge.refunded",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.created",
    "payout.paid",
}
# What Stripe asks of a new account before it may take charges (a Standard account's)
NEW_ACCOUNT_DUE = [
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "representative.first_name",
    "representative.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]


def _id(prefix: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(16))


def _unflatten(pairs: Iterable[tuple[str, str]]) -> dict:
    """Stripe's form encoding (``metadata[shop]=x``, ``enabled_events[0]=y``) as a dict
    (lists for numeric indexes)."""
    root: dict = {}
    for name, value in pairs:
        parts = name.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def lists(node):
        if isinstance(node, dict):
            if node and all(key.isdigit() for key in node):
                return [lists(node[key]) for key in sorted(node, key=int)]
            return {key: lists(value) for key, value in node.items()}
        return node

    return lists(root)


def _error(status: int, message: str, **fields: str) -> tuple[int, dict]:
    return status, {"error": {"message": message, "type": "invalid_request_error", **fields}}


def _redacted(key: str) -> str:
    return f"{key[:8]}{'*' * 12}{key[-4:]}"


class FakeStripeConnect(FakeServer):
    def __init__(
        self,
        *,
        platform_key: str = "sk_test_platform",
        connect_webhook_url: str = "",
        connect_webhook_secret: str = "whsec_platform",  # noqa: S107 (a test secret)
    ) -> None:
        self.platform_key = platform_key
        self.platform_account = _id("acct_")
        # the platform's Connect endpoint: account.updated goes there when it has a URL
        self.connect_webhook_url = connect_webhook_url
        self.connect_webhook_secret = connect_webhook_secret
        self.keys: dict[str, tuple[str, frozenset[str] | None]] = {}  # key → (account, perms)
        self.accounts: dict[str, dict] = {}  # connected accounts, by id
        self.own_accounts: dict[str, dict] = {}  # merchants' own accounts, by id
        self.links: dict[str, dict] = {}  # onboarding links, by token
        self.endpoints: dict[str, dict] = {}  # webhook endpoints, by id (secrets included)
        self.idempotent: dict[tuple[str, str], tuple[dict, tuple[int, dict]]] = {}
        self.requests: list[dict] = []  # every API call: method, path, key, form, idempotency_key
        self.deliveries: list[tuple[str, int]] = []  # (event type, HTTP status) sent
        # by connected account: charges, balance transactions, payouts (newest last)
        self.charges: dict[str, list[dict]] = {}
        self.balance_transactions: dict[str, list[dict]] = {}
        self.payouts: dict[str, list[dict]] = {}
        self.failing = False  # balance and payouts answer 500
        self.payment_method_domains: dict[str, list[dict]] = {}  # by account
        self.wallet_status: dict[str, str] = {}  # domain → Apple Pay's error message
        self.delivered = threading.Condition()
        self._serve()

    # --- what the tests arrange ----------------------------------------------------

    def merchant_key(self, key: str, *, permissions: Iterable[str] | None = None) -> str:
        """A merchant's own Stripe account reached with ``key``; its id. A restricted key
        gets only ``permissions`` (``balance_read``, ``webhook_read``, ``webhook_write``)."""
        account_id = _id("acct_")
        self.own_accounts[account_id] = self._account(account_id, "standard", {}, "")
        self.own_accounts[account_id].update(
            charges_enabled=True, payouts_enabled=True, details_submitted=True
        )
        self.own_accounts[account_id]["requirements"]["currently_due"] = []
        self.keys[key] = (account_id, frozenset(permissions) if permissions is not None else None)
        return account_id

    def account_event(self, account_id: str, *, secret: str = "") -> tuple[bytes, str]:
        """An ``account.updated`` event for the connected account as it is now, and its
        Stripe-Signature header (the Connect webhook's secret, unless ``secret``)."""
        event = self._event("account.updated", self.accounts[account_id], account=account_id)
        return self._signed(event, secret or self.connect_webhook_secret)

    def endpoint_event(self, endpoint_id: str, event_type: str, obj: dict) -> tuple[bytes, str]:
        """An event of the endpoint's account signed with the endpoint's secret."""
        return self._signed(self._event(event_type, obj), self.endpoints[endpoint_id]["secret"])

    def complete(self, account_id: str, *, terms: bool = True) -> None:
        """What "Agree and submit" on the onboarding page does, without a browser."""
        with self.lock:
            self._submit(self.accounts[account_id], terms=terms)

    def charge(
        self,
        account_id: str,
        *,
        payment_intent_id: str,
        amount: int,
        currency: str = "eur",
        application_fee_amount: int = 0,
    ) -> dict:
        """A succeeded direct charge on the connected account and its balance transaction:
        Stripe's fee (1.5% + 25 of a European card, as Stripe's pricing page says) and the
        platform's application fee taken from it, the rest the account's net."""
        now = int(time.time())
        stripe_fee = round(amount * 0.015) + 25
        charge_id, transaction_id = _id("ch_"), _id("txn_")
        fee_details = [
            {
                "amount": stripe_fee,
                "application": None,
                "currency": currency,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ]
        if application_fee_amount:
            fee_details.append(
                {
                    "amount": application_fee_amount,
                    "application": "ca_" + self.platform_account[5:],
                    "currency": currency,
                    "description": "Etalage application fee",
                    "type": "application_fee",
                }
            )
        fee = stripe_fee + application_fee_amount
        transaction = {
            "id": transaction_id,
            "object": "balance_transaction",
            "amount": amount,
            "available_on": now + 7 * 86400,
            "created": now,
            "currency": currency,
            "description": None,
            "exchange_rate": None,
            "fee": fee,
            "fee_details": fee_details,
            "net": amount - fee,
            "reporting_category": "charge",
            "source": charge_id,
            "status": "pending",
            "type": "charge",
        }
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": 0,
            "application_fee_amount": application_fee_amount or None,
            "balance_transaction": transaction_id,
            "captured": True,
            "created": now,
            "currency": currency,
            "paid": True,
            "payment_intent": payment_intent_id,
            "refunded": False,
            "status": "succeeded",
        }
        with self.lock:
            self.balance_transactions.setdefault(account_id, []).append(transaction)
            self.charges.setdefault(account_id, []).append(charge)
        return charge

    def payout(
        self,
        account_id: str,
        *,
        amount: int,
        currency: str = "eur",
        status: str = "paid",
        arrival_date: int | None = None,
    ) -> dict:
        """A payout of the connected account to its bank account, and its balance
        transaction."""
        now = int(time.time())
        payout_id, transaction_id = _id("po_"), _id("txn_")
        payout = {
            "id": payout_id,
            "object": "payout",
            "amount": amount,
            "arrival_date": arrival_date or now + 2 * 86400,
            "automatic": True,
            "balance_transaction": transaction_id,
            "created": now,
            "currency": currency,
            "description": "STRIPE PAYOUT",
            "destination": "ba_" + account_id[5:],
            "failure_code": None,
            "failure_message": None,
            "method": "standard",
            "source_type": "card",
            "statement_descriptor": None,
            "status": status,
            "type": "bank_account",
        }
        transaction = {
            "id": transaction_id,
            "object": "balance_transaction",
            "amount": -amount,
            "available_on": now,
            "created": now,
            "currency": currency,
            "description": "STRIPE PAYOUT",
            "fee": 0,
            "fee_details": [],
            "net": -amount,
            "reporting_category": "payout",
            "source": payout_id,
            "status": "available",
            "type": "payout",
        }
        with self.lock:
            self.payouts.setdefault(account_id, []).append(payout)
            self.balance_transactions.setdefault(account_id, []).append(transaction)
        return payout

    def wait_for_delivery(self, count: int = 1, timeout: float = 30) -> list[tuple[str, int]]:
        with self.delivered:
            self.delivered.wait_for(lambda: len(self.deliveries) >= count, timeout=timeout)
            return list(self.deliveries)

    # --- Stripe's objects ------------------------------------------------------------

    def _account(self, account_id: str, account_type: str, metadata: dict, email: str) -> dict:
        return {
            "id": account_id,
            "object": "account",
            "type": account_type,
            "country": "FR",
            "default_currency": "eur",
            "email": email or None,
            "created": int(time.time()),
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "capabilities": {},
            "metadata": metadata,
            "requirements": {
                "currently_due": list(NEW_ACCOUNT_DUE),
                "eventually_due": list(NEW_ACCOUNT_DUE),
                "past_due": list(NEW_ACCOUNT_DUE),
                "pending_verification": [],
                "errors": [],
                "current_deadline": None,
                "disabled_reason": "requirements.past_due",
            },
        }

    def _submit(self, account: dict, *, terms: bool) -> None:
        due = [] if terms else ["tos_acceptance.date", "tos_acceptance.ip"]
        account["details_submitted"] = True
        account["charges_enabled"] = account["payouts_enabled"] = not due
        account["requirements"].update(
            currently_due=due,
            eventually_due=due,
            past_due=due,
            disabled_reason="requirements.past_due" if due else None,
        )
        if account["type"] == "express":
            state = "inactive" if due else "active"
            account["capabilities"] = {"card_payments": state, "transfers": state}

    def _event(self, event_type: str, obj: dict, *, account: str = "") -> dict:
        event = {
            "id": _id("evt_"),
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "type": event_type,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": json.loads(json.dumps(obj))},
        }
        if account:
            event["account"] = account
        return event

    @staticmethod
    def _signed(event: dict, secret: str) -> tuple[bytes, str]:
        body = json.dumps(event).encode()
        stamp = int(time.time())
        digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
        return body, f"t={stamp},v1={digest.hexdigest()}"

    def _deliver_later(self, account_id: str) -> None:
        """Send ``account.updated`` to the platform's Connect webhook, as Stripe does:
        in the background, after the change."""
        url = self.connect_webhook_url
        if not url:
            return
        body, signature = self.account_event(account_id)

        def send() -> None:
            try:
                status = requests.post(
                    url,
                    data=body,
                    timeout=30,
                    headers={"Content-Type": "application/json", "Stripe-Signature": signature},
                ).status_code
            except requests.RequestException:
                status = 0
            with self.delivered:
                self.deliveries.append(("account.updated", status))
                self.delivered.notify_all()

        threading.Thread(target=send, daemon=True).start()

    # --- the API ---------------------------------------------------------------------

    def _key(self, headers) -> str:
        header = headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme == "Bearer":
            return value.strip()
        if scheme == "Basic":
            return base64.b64decode(value).decode().split(":")[0]
        return ""

    def _caller(self, key: str) -> tuple[str, frozenset[str] | None] | tuple[int, dict]:
        if not key:
            return _error(
                401,
                "You did not provide an API key. You need to provide your API "
                "key in the Authorization header, using Bearer auth.",
            )
        if key == self.platform_key:
            return (self.platform_account, None)
        if key in self.keys:
            return self.keys[key]
        return _error(401, f"Invalid API Key provided: {_redacted(key)}")

    def _permitted(self, key: str, account: str, perms, permission: str) -> tuple[int, dict] | None:
        if perms is None or permission in perms:
            return None
        return _error(
            403,
            f"The provided key '{_redacted(key)}' does not have the required permissions for "
            f"this endpoint on account '{account}'. Having the 'rak_{permission}' permission "
            "would allow this request to continue.",
        )

    def api(self, method: str, path: str, headers, form: dict) -> tuple[int, dict]:
        key = self._key(headers)
        self.requests.append(
            {
                "method": method,
                "path": path,
                "key": key,
                "form": form,
                "idempotency_key": headers.get("Idempotency-Key", ""),
            }
        )
        caller = self._caller(key)
        if isinstance(caller[0], int):
            return caller  # type: ignore[return-value]
        account, perms = caller
        parts = path.strip("/").split("/")[1:]  # without "v1"
        on_behalf = headers.get("Stripe-Account", "")
        if on_behalf:
            if key != self.platform_key or on_behalf not in self.accounts:
                return _error(
                    403,
                    f"The provided key '{_redacted(key)}' does not have access to account "
                    f"'{on_behalf}' (or that account does not exist). Application access may "
                    "have been revoked.",
                    code="account_invalid",
                )
            account = on_behalf
        if parts[:1] in (["charges"], ["balance_transactions"], ["payouts"]) and method == "GET":
            if self.failing:
                return 500, {"error": {"message": "An unknown error occurred", "type": "api_error"}}
            with self.lock:
                return self._money(parts, account, form)
        with self.lock:
            if parts == ["balance"] and method == "GET":
                refused = self._permitted(key, account, perms, "balance_read")
                return refused or (
                    200,
                    {
                        "object": "balance",
                        "livemode": False,
                        "available": [
                            {"amount": 0, "currency": "eur", "source_types": {"card": 0}}
                        ],
                        "pending": [{"amount": 0, "currency": "eur", "source_types": {"card": 0}}],
                    },
                )
            if parts == ["account"] and method == "GET":
                return 200, self.own_accounts.get(account) or {"id": account, "object": "account"}
            if parts[:1] == ["accounts"]:
                return self._accounts(method, parts[1:], key, account, headers, form)
            if parts == ["account_links"] and method == "POST":
                return self._account_link(key, form)
            if parts[:1] == ["webhook_endpoints"]:
                return self._webhook_endpoints(method, parts[1:], key, account, perms, form)
            if parts == ["payment_method_domains"]:
                return self._payment_method_domains(method, account, form)
        return _error(404, f"Unrecognized request URL ({method}: {path}).")

    @staticmethod
    def _page(url: str, items: list[dict], form: dict) -> tuple[int, dict]:
        try:
            limit = max(1, min(100, int(form.get("limit", 10))))
        except ValueError:
            return _error(400, "Invalid integer: limit", param="limit")
        # newest first; of two made in the same second, the later one
        newest_first = sorted(items[::-1], key=lambda item: item["created"], reverse=True)
        return 200, {
            "object": "list",
            "data": newest_first[:limit],
            "has_more": len(newest_first) > limit,
            "url": url,
        }

    def _money(self, parts: list[str], account: str, form: dict) -> tuple[int, dict]:
        """Charges, balance transactions and payouts of ``account`` (see the docstring)."""
        transactions = self.balance_transactions.get(account, [])
        if parts == ["charges"]:
            charges = [
                dict(charge)
                for charge in self.charges.get(account, [])
                if form.get("payment_intent") in (None, charge["payment_intent"])
            ]
            if "data.balance_transaction" in (form.get("expand") or []):
                by_id = {transaction["id"]: transaction for transaction in transactions}
                for charge in charges:
                    charge["balance_transaction"] = by_id[charge["balance_transaction"]]
            return self._page("/v1/charges", charges, form)
        if parts[:1] == ["balance_transactions"] and len(parts) == 2:
            found = [t for t in transactions if t["id"] == parts[1]]
            if not found:
                return _error(
                    404, f"No such balance transaction: '{parts[1]}'", code="resource_missing"
                )
            return 200, found[0]
        if parts == ["balance_transactions"]:
            chosen = [
                t
                for t in transactions
                if form.get("source") in (None, t["source"])
                and form.get("type") in (None, t["type"])
            ]
            return self._page("/v1/balance_transactions", chosen, form)
        if parts == ["payouts"]:
            payouts = [
                payout
                for payout in self.payouts.get(account, [])
                if form.get("status") in (None, payout["status"])
            ]
            return self._page("/v1/payouts", payouts, form)
        return _error(404, f"Unrecognized request URL (GET: /v1/{'/'.join(parts)}).")

    def _accounts(self, method, rest, key, account, headers, form) -> tuple[int, dict]:
        if key != self.platform_key:
            return _error(
                400,
                "You can only create new accounts if you've signed up for "
                "Connect, which you can do at https://dashboard.stripe.com/connect.",
            )
        if method == "POST" and not rest:
            idempotency_key = headers.get("Idempotency-Key", "")
            if idempotency_key and (key, idempotency_key) in self.idempotent:
                first_form, answer = self.idempotent[(key, idempotency_key)]
                if first_form != form:
                    return _error(
                        400,
                        "Keys for idempotent requests can only be used with the "
                        "same parameters they were first used with. Try using a key "
                        f"other than '{idempotency_key}' if you meant to execute a "
                        "different request.",
                        type="idempotency_error",
                    )
                return answer
            account_type = form.get("type", "")
            if not account_type:
                return _error(
                    400, "Missing required param: type.", code="parameter_missing", param="type"
                )
            if account_type not in ("standard", "express", "custom"):
                return _error(
                    400,
                    "Invalid type: must be one of custom, express, or standard",
                    code="parameter_invalid_string",
                    param="type",
                )
            if account_type == "express" and "capabilities" not in form:
                return _error(
                    400,
                    "When creating an Express account, you must request the capabilities it needs.",
                    param="capabilities",
                )
            new = self._account(
                _id("acct_"), account_type, form.get("metadata") or {}, form.get("email", "")
            )
            self.accounts[new["id"]] = new
            answer = (200, new)
            if idempotency_key:
                self.idempotent[(key, idempotency_key)] = (form, answer)
            return answer
        if method == "GET" and len(rest) == 1:
            if rest[0] not in self.accounts:
                return _error(
                    403,
                    f"The provided key '{_redacted(key)}' does not have access "
                    f"to account '{rest[0]}' (or that account does not exist). "
                    "Application access may have been revoked.",
                    code="account_invalid",
                )
            return 200, self.accounts[rest[0]]
        return _error(404, f"Unrecognized request URL ({method}: /v1/accounts).")

    def _payment_method_domains(self, method: str, account: str, form: dict) -> tuple[int, dict]:
        domains = self.payment_method_domains.setdefault(account, [])
        if method == "GET":
            wanted = form.get("domain_name")
            items = [d for d in domains if wanted is None or d["domain_name"] == wanted]
            return self._page("/v1/payment_method_domains", items, form)
        if method != "POST":
            return _error(404, f"Unrecognized request URL ({method}: /v1/payment_method_domains).")
        name = str(form.get("domain_name") or "")
        if not name:
            return _error(
                400, "Missing required param: domain_name.", code="parameter_missing",
                param="domain_name",
            )  # fmt: skip
        host = name.lower()
        if host == "localhost" or host.endswith((".localhost", ".test", ".local")):
            return _error(
                400, f"{name} is not a valid domain name.", code="invalid_domain_name",
                param="domain_name",
            )  # fmt: skip
        problem = self.wallet_status.get(name, "")
        apple = {"status": "inactive", "status_details": {"error_message": problem}}
        domain = {
            "id": _id("pmd_"),
            "object": "payment_method_domain",
            "amazon_pay": {"status": "active"},
            "apple_pay": apple if problem else {"status": "active"},
            "created": int(time.time()),
            "domain_name": name,
            "enabled": form.get("enabled", "true") != "false",
            "google_pay": {"status": "active"},
            "link": {"status": "active"},
            "livemode": False,
            "paypal": {"status": "active"},
        }
        domains.append(domain)
        return 200, domain

    def _account_link(self, key: str, form: dict) -> tuple[int, dict]:
        for name in ("account", "refresh_url", "return_url", "type"):
            if not form.get(name):
                return _error(
                    400, f"Missing required param: {name}.", code="parameter_missing", param=name
                )
        if form["type"] not in ("account_onboarding", "account_update"):
            return _error(
                400,
                "Invalid type: must be one of account_onboarding or account_update",
                param="type",
            )
        for name in ("refresh_url", "return_url"):
            if urlsplit(form[name]).scheme not in ("http", "https"):
                return _error(400, "Not a valid URL", code="url_invalid", param=name)
        if key != self.platform_key or form["account"] not in self.accounts:
            return _error(
                400,
                f"No such account: '{form['account']}'",
                code="resource_missing",
                param="account",
            )
        token = secrets.token_urlsafe(12)
        now = int(time.time())
        self.links[token] = {**form, "expires_at": now + LINK_SECONDS, "state": "new"}
        return 200, {
            "object": "account_link",
            "created": now,
            "expires_at": now + LINK_SECONDS,
            "url": f"{self.url}/setup/e/{form['account']}/{token}",
        }

    def _webhook_endpoints(self, method, rest, key, account, perms, form) -> tuple[int, dict]:
        def public(endpoint: dict) -> dict:
            return {k: v for k, v in endpoint.items() if k not in ("secret", "account")}

        if method == "POST" and not rest:
            refused = self._permitted(key, account, perms, "webhook_write")
            if refused:
                return refused
            if not form.get("url"):
                return _error(
                    400, "Missing required param: url.", code="parameter_missing", param="url"
                )
            parts = urlsplit(form["url"])
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return _error(400, f"Invalid URL: {form['url']}", code="url_invalid", param="url")
            events = form.get("enabled_events") or []
            if not events:
                return _error(
                    400,
                    "Missing required param: enabled_events.",
                    code="parameter_missing",
                    param="enabled_events",
                )
            for index, name in enumerate(events):
                if name not in KNOWN_EVENTS:
                    return _error(
                        400,
                        f"Invalid enabled_events[{index}]: {name} is not a valid event type",
                        param=f"enabled_events[{index}]",
                    )
            endpoint = {
                "id": _id("we_"),
                "object": "webhook_endpoint",
                "api_version": None,
                "application": None,
                "created": int(time.time()),
                "description": form.get("description") or None,
                "enabled_events": events,
                "livemode": False,
                "metadata": form.get("metadata") or {},
                "status": "enabled",
                "url": form["url"],
                "secret": "whsec_" + secrets.token_urlsafe(24),
                "account": account,
            }
            self.endpoints[endpoint["id"]] = endpoint
            return 200, {k: v for k, v in endpoint.items() if k != "account"}
        refused = self._permitted(
            key, account, perms, "webhook_read" if method == "GET" else "webhook_write"
        )
        if refused:
            return refused
        if not rest and method == "GET":
            mine = [public(e) for e in self.endpoints.values() if e["account"] == account]
            return 200, {
                "object": "list",
                "data": mine,
                "has_more": False,
                "url": "/v1/webhook_endpoints",
            }
        endpoint = self.endpoints.get(rest[0]) if len(rest) == 1 else None
        if endpoint is None or endpoint["account"] != account:
            return _error(
                404,
                f"No such webhook endpoint: '{rest[0] if rest else ''}'",
                code="resource_missing",
                param="id",
            )
        if method == "GET":
            return 200, public(endpoint)
        if method == "DELETE":
            del self.endpoints[endpoint["id"]]
            return 200, {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True}
        return _error(404, f"Unrecognized request URL ({method}: /v1/webhook_endpoints).")

    # --- the onboarding page -----------------------------------------------------------

    def page(self, method: str, path: str, form: dict) -> tuple[int, str, str]:
        """(status, Location or "", HTML) for the onboarding page at ``path``."""
        parts = path.strip("/").split("/")
        token = parts[3] if len(parts) == 4 else ""
        with self.lock:
            link = self.links.get(token)
            if link is None or link["account"] != parts[2]:
                return 404, "", "<h1>This link is not valid.</h1>"
            expired = link["expires_at"] < time.time()
            if method == "GET":
                if link["state"] != "new" or expired:
                    return 302, link["refresh_url"], ""
                link["state"] = "visited"
                return 200, "", self._form(self.accounts[link["account"]])
            if link["state"] != "visited":
                return 302, link["refresh_url"], ""
            link["state"] = "used"
            account = self.accounts[link["account"]]
            before = json.dumps(account, sort_keys=True)
            if form.get("action") == "submit":
                self._submit(account, terms=form.get("tos") == "accepted")
            changed = json.dumps(account, sort_keys=True) != before
        if changed:
            self._deliver_later(account["id"])
        return 303, link["return_url"], ""

    @staticmethod
    def _form(account: dict) -> str:
        email = html.escape(account.get("email") or "your business")
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stripe (local stand-in): set up payments</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f9fc}}
main{{max-width:32rem;margin:0 auto;padding:24px 16px}}h1{{font-size:1.5rem}}
label{{display:block;margin:12px 0}}input[type=text]{{width:100%;box-sizing:border-box;
padding:8px;font-size:1rem}}button{{font-size:1rem;padding:10px 16px;margin:8px 8px 0 0}}
</style></head><body><main>
<p>Stripe · test mode (a local stand-in for Stripe's hosted onboarding)</p>
<h1>Set up payments for {email}</h1>
<p>Account {html.escape(account["id"])}</p>
<form method="post">
<label>Business website <input type="text" name="business_url" value="https://example.com"></label>
<label>Bank account (IBAN) <input type="text" name="iban" value="FR1420041010050500013M02606"></label>
<label><input type="checkbox" name="tos" value="accepted" checked> I accept Stripe's services agreement</label>
<button type="submit" name="action" value="submit">Agree and submit</button>
<button type="submit" name="action" value="later">Save for later</button>
</form></main></body></html>"""

    def _handler(self):
        fake = self

        class Handler(JsonHandler):
            def _form(self) -> dict:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                query = urlsplit(self.path).query
                return _unflatten([*parse_qsl(query), *parse_qsl(body)])

            def _route(self, method: str) -> None:
                path = urlsplit(self.path).path
                form = self._form()
                if path.startswith("/setup/"):
                    status, location, text = fake.page(method, path, form)
                    body = text.encode()
                    self.send_response(status)
                    if location:
                        self.send_header("Location", location)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                status, payload = fake.api(method, path, self.headers, form)
                self._answer(status, payload, {"Request-Id": _id("req_")})

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def do_DELETE(self) -> None:
                self._route("DELETE")

        return Handler
