"""The audit log in the owner's admin: read only, filtered by actor, action and date."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from shops.audit.models import AuditEntry

# How the log names each action; an action missing here is shown as recorded
ACTION_LABELS = {
    "variant.price": "Price changed",
    "variant.stock": "Stock changed",
    "products.status": "Products published or archived",
    "products.delete": "Products deleted",
    "export.products": "Products exported",
    "import.products": "Products import started",
    "order.fulfil": "Order fulfilled",
    "order.cancel": "Order cancelled",
    "order.refund": "Order refunded",
    "payments.connect": "Payments: Stripe connected",
    "payments.keys": "Payments: own Stripe keys set",
    "payments.remove": "Payments: Stripe disconnected",
    "shippingzone.create": "Shipping zone added",
    "shippingzone.update": "Shipping zone changed",
    "shippingzone.delete": "Shipping zone deleted",
    "shippingrate.create": "Shipping rate added",
    "shippingrate.update": "Shipping rate changed",
    "shippingrate.delete": "Shipping rate deleted",
    "taxrate.create": "Tax rate added",
    "taxrate.update": "Tax rate changed",
    "taxrate.delete": "Tax rate deleted",
    "taxsettings.update": "Tax-inclusive prices changed",
    "discount.create": "Discount code added",
    "discount.update": "Discount code changed",
    "discount.delete": "Discount code deleted",
    "design.publish": "Design published",
    "libraryimage.delete": "Picture deleted from the media library",
    "domain.add": "Domain added",
    "domain.remove": "Domain removed",
    "shop.update": "Shop settings changed",
    "staff.invite": "Staff invited",
    "staff.invitation_withdraw": "Invitation withdrawn",
    "staff.update": "Staff role or access changed",
    "api_key.create": "API key created",
    "api_key.revoke": "API key revoked",
    "privacy.export": "Shopper's data exported",
    "privacy.erasure": "Shopper's data erased",
    "retention.update": "Retention policy changed",
    "consent.withdraw": "Marketing consent withdrawn",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


class ActorFilter(admin.SimpleListFilter):
    """The staff accounts and API keys that appear in the log (one query)."""

    title = "who"
    parameter_name = "actor"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        actors = (
            AuditEntry.objects.order_by("actor_label")
            .values_list("actor_kind", "actor_id", "actor_label")
            .distinct()
        )
        return [(f"{kind}:{pk}", label) for kind, pk, label in actors]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        kind, _, pk = (self.value() or "").partition(":")
        if not kind or not pk.isdigit():
            return queryset
        return queryset.filter(actor_kind=kind, actor_id=int(pk))


class ActionFilter(admin.SimpleListFilter):
    title = "action"
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        actions = AuditEntry.objects.order_by("action").values_list("action", flat=True)
        return [(action, action_label(action)) for action in actions.distinct()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Owner only (``shops.accounts.roles``); nobody may add, change or delete an entry."""

    list_display = ("created", "actor_label", "what", "object_repr", "change_list")
    list_display_links = None
    list_filter = (ActorFilter, ActionFilter, ("created", admin.DateFieldListFilter))
    search_fields = ("object_repr", "actor_label", "note")
    date_hierarchy = "created"
    list_per_page = 50
    show_full_result_count = False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {**(extra_context or {}), "title": "Audit log"}
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="What", ordering="action")
    def what(self, entry: AuditEntry) -> str:
        return action_label(entry.action)

    @admin.display(description="Before → after")
    def change_list(self, entry: AuditEntry) -> str:
        changes = entry.changes or {}
        if not changes:
            return entry.note or "—"
        return format_html_join(
            ", ",
            "{}: {} → {}",
            ((field, _shown(before), _shown(after)) for field, (before, after) in changes.items()),
        )


def _shown(value: object) -> str:
    return "—" if value in (None, "") else str(value)
