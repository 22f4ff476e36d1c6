"""Staff roles and what each may do in the admin and the API.

- **owner**: everything (a superuser), the only one who opens the shop's settings that
  hold secrets or concern people: payments, API keys, webhooks, staff, the audit log,
  the shop's currency and domains, shoppers' privacy requests and the retention policy.
- **staff**: runs the shop (products, orders, content, the designer, channels), none of
  the owner's pages.
- **read-only**: sees what staff see, changes nothing.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    STAFF = "staff", "Staff"
    READ_ONLY = "read_only", "Read-only"


ROLE_HELP = {
    Role.OWNER: "Everything, including payments, API keys, staff and the audit log.",
    Role.STAFF: "Products, orders, content, the designer and channels; not the owner's "
    "settings (payments, API keys, webhooks, staff, audit log).",
    Role.READ_ONLY: "Sees products, orders and content; cannot change anything.",
}

# "app_label.model" pages only the owner opens; apps whose every page is the owner's
OWNER_ONLY_MODELS = frozenset(
    {
        "orders.paymentaccount",
        "api.apikey",
        "api.idempotencyrecord",
        "accounts.user",
        "accounts.invitation",
        "audit.auditentry",
        "auth.group",
        "auth.permission",
        "webhooks.webhooksubscription",
        "webhooks.webhookdelivery",
        "webhooks.webhookevent",
    }
)
OWNER_ONLY_APPS = frozenset(
    {"api", "accounts", "audit", "auth", "webhooks", "privacy", "retention"}
)

OWNER_ONLY_MESSAGE = (
    "Only the shop's owner can open this page (payments, API keys, webhooks, staff and "
    "the audit log are the owner's). Ask the owner if you need something changed here."
)
READ_ONLY_MESSAGE = (
    "Your account is read-only: you can look at everything here, but not change it. "
    "Ask the shop's owner if you need to make changes."
)


def role_allows(role: str, permission: str) -> bool:
    """Whether ``role`` holds ``permission`` (``"catalog.change_variant"``)."""
    if role == Role.OWNER:
        return True
    app_label, _, codename = permission.partition(".")
    action, _, model = codename.partition("_")
    if app_label in OWNER_ONLY_APPS or f"{app_label}.{model}" in OWNER_ONLY_MODELS:
        return False
    if role == Role.READ_ONLY:
        return action == "view"
    return role == Role.STAFF


def role_opens_app(role: str, app_label: str) -> bool:
    """Whether ``role`` sees ``app_label`` in the admin at all."""
    return role == Role.OWNER or app_label not in OWNER_ONLY_APPS


def role_may_write(role: str) -> bool:
    return role in (Role.OWNER, Role.STAFF)
