"""The back office's navigation, by the merchant's tasks: the one place that says which
pages the sidebar lists, under which heading, and which models are plumbing (kept out of
the navigation and the app lists, still reachable as the detail of another page).

A new admin page is one ``Link`` here. A link whose URL name does not resolve (a page
another branch has not landed yet) is left out, never an error."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Link:
    label: str
    url_name: str
    # the permission the page needs (``app_label.codename``); "" when staff may open it
    permission: str = ""


@dataclass(frozen=True)
class Section:
    label: str
    links: tuple[Link, ...]


NAVIGATION: tuple[Section, ...] = (
    Section("Home", (Link("Home", "admin:index"),)),
    Section(
        "Orders",
        (
            Link("Orders", "admin:orders_order_changelist", "orders.view_order"),
            Link(
                "Abandoned checkouts",
                "admin:orders_abandonedcheckout_changelist",
                "orders.view_abandonedcheckout",
            ),
        ),
    ),
    Section(
        "Products",
        (
            Link("Products", "admin:catalog_product_changelist", "catalog.view_product"),
            Link("Collections", "admin:catalog_collection_changelist", "catalog.view_collection"),
            Link("Inventory", "admin:catalog_variant_changelist", "catalog.view_variant"),
            Link("Import", "admin:catalog_importjob_add", "catalog.add_importjob"),
        ),
    ),
    Section(
        "Customers",
        (
            Link("Customers", "admin:backoffice_customers", "orders.view_order"),
            Link(
                "Email consents",
                "admin:consent_marketingconsent_changelist",
                "consent.view_marketingconsent",
            ),
        ),
    ),
    Section(
        "Content",
        (
            Link("Posts", "admin:posts_post_changelist", "posts.view_post"),
            Link("Polls", "admin:reviews_poll_changelist", "reviews.view_poll"),
            Link("Reviews", "admin:reviews_review_changelist", "reviews.view_review"),
            Link(
                "Photo consents",
                "admin:posts_shopperphotoconsent_changelist",
                "posts.view_shopperphotoconsent",
            ),
        ),
    ),
    Section(
        "Online store",
        (
            Link(
                "Shop page designer", "admin:storefront_design_changelist", "storefront.view_design"
            ),
            Link("Share and embed", "admin:backoffice_share"),
        ),
    ),
    Section(
        "Channels",
        (Link("Channels", "admin:channels_connection_changelist", "channels.view_connection"),),
    ),
    Section(
        "Analytics",
        (Link("Analytics", "admin:backoffice_analytics", "orders.view_order"),),
    ),
    Section(
        "Settings",
        (
            Link(
                "Payments", "admin:orders_paymentaccount_changelist", "orders.view_paymentaccount"
            ),
            Link("Shipping", "admin:orders_shippingzone_changelist", "orders.view_shippingzone"),
            Link("Taxes", "admin:orders_taxsettings_changelist", "orders.view_taxsettings"),
            Link("Tax rates", "admin:orders_taxrate_changelist", "orders.view_taxrate"),
            Link("Discounts", "admin:orders_discount_changelist", "orders.view_discount"),
            Link(
                "Reviews",
                "admin:reviews_reviewsettings_changelist",
                "reviews.view_reviewsettings",
            ),
            # the owner's own pages: currency and custom domains, staff, the audit log
            Link("Shop and domains", "shop-settings", "accounts.view_user"),
            Link("Staff", "admin:accounts_user_changelist", "accounts.view_user"),
            Link("Audit log", "admin:audit_auditentry_changelist", "audit.view_auditentry"),
            Link(
                "Privacy requests",
                "admin:privacy_datarequest_changelist",
                "privacy.view_datarequest",
            ),
            Link(
                "Data retention",
                "admin:retention_retentionpolicy_changelist",
                "retention.view_retentionpolicy",
            ),
            Link("API keys", "admin:api_apikey_changelist", "api.view_apikey"),
            Link(
                "Webhooks",
                "admin:webhooks_webhooksubscription_changelist",
                "webhooks.view_webhooksubscription",
            ),
        ),
    ),
)

# Models that are the machinery of other pages: out of the navigation and the app lists.
# Their rows stay reachable where they help (an import's report from the import page, a
# webhook's deliveries from the subscription).
PLUMBING: frozenset[str] = frozenset(
    {
        "auth.group",
        "catalog.catalogchange",
        "catalog.importjob",
        "webhooks.webhookdelivery",
    }
)


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    is_current: bool


@dataclass(frozen=True)
class NavSection:
    label: str
    url: str  # its first link's
    links: tuple[NavLink, ...]  # the links under it, but the one named like it
    is_current: bool  # its own page is open

    @property
    def is_open(self) -> bool:
        """Its own page or one of its links is open: the links under it are shown."""
        return self.is_current or any(link.is_current for link in self.links)


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def navigation_for(
    user: AbstractBaseUser | AnonymousUser,
    path: str,
    navigation: tuple[Section, ...] = NAVIGATION,
) -> list[NavSection]:
    """The sections and links ``user`` may open, the link of ``path`` marked current (the
    longest link URL that ``path`` starts with: Home only when no other matches)."""
    resolved = [
        (section, link, url)
        for section in navigation
        for link in section.links
        if (url := _url(link.url_name)) and (not link.permission or user.has_perm(link.permission))
    ]
    prefixes = [url for _section, _link, url in resolved if path.startswith(url)]
    current = max(prefixes, key=len, default=None)
    sections: list[NavSection] = []
    for section in navigation:
        links = tuple(
            NavLink(link.label, url, url == current)
            for owner, link, url in resolved
            if owner is section
        )
        if links:
            under = tuple(link for link in links if link.label != section.label)
            is_current = links[0].is_current and links[0].label == section.label
            sections.append(NavSection(section.label, links[0].url, under, is_current))
    return sections
