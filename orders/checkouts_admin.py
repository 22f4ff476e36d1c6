"""The merchant's "Abandoned checkouts": checkouts never paid (``AbandonedCheckout``,
the ``Order`` rows whose ``paid_at`` is empty), kept out of the Orders list, with the
shop's switch for checkout reminders (``orders.services.recovery``). Registered when
``orders.admin`` imports it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format

from orders import services
from orders.models import AbandonedCheckout, Order, OrderLine
from orders.receipts import order_amounts
from orders.selectors import checkout_recovery_is_enabled, checkouts_abandoned
from orders.status import MERCHANT_CANCEL_NOTE
from shops.currencies import money_format

Status = Order.Status
# the admin URL of one checkout's page (the order page of an unpaid one leads there)
CHECKOUT_CHANGE = "orders_abandonedcheckout_change"


def _delay_in_words(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} seconds"


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "j M Y, H:i")


class CheckoutStateFilter(admin.SimpleListFilter):
    """Where a checkout stands: still held while the shopper pays, or left unpaid."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("paying", "Paying now"), ("left", "Left unpaid")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "paying":
            return queryset.filter(status=Status.PENDING_PAYMENT)
        if self.value() == "left":
            return queryset.filter(status=Status.CANCELLED)
        return queryset


class CheckoutLineInline(admin.TabularInline):
    """A checkout's lines in three columns (what, how many, how much), so they read on a
    phone too."""

    model = OrderLine
    fields = ("item", "quantity", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderLine]:
        return super().get_queryset(request).select_related("order")

    @admin.display(description="Item")
    def item(self, line: OrderLine) -> str:
        options = f" ({line.variant_title})" if line.variant_title else ""
        return f"{line.title}{options} · SKU {line.sku}"

    @admin.display(description="Amount")
    def amount(self, line: OrderLine) -> str:
        return money_format(line.line_total, line.order.currency)


@admin.register(AbandonedCheckout)
class AbandonedCheckoutAdmin(admin.ModelAdmin):
    """Checkouts never paid, newest first: who, what, how much, when, where they stand
    and whether a reminder went. Read-only, but for cancelling one still held (its
    stock and discount code go back) and the reminder switch above the list."""

    list_display = ("checkout", "started", "email", "items", "total_display", "state", "reminder")
    list_filter = (CheckoutStateFilter,)
    search_fields = ("email", "lines__sku")
    date_hierarchy = "created"
    list_per_page = 50
    change_list_template = "admin/orders/abandonedcheckout/change_list.html"
    change_form_template = "admin/orders/abandonedcheckout/change_form.html"
    fields = ("state", "email", "amounts", "started", "holds_until", "note")
    readonly_fields = fields
    inlines = [CheckoutLineInline]
    actions = ["cancel_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AbandonedCheckout]:
        return checkouts_abandoned()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="Checkout")
    def checkout(self, checkout: AbandonedCheckout) -> str:
        return checkout.number

    @admin.display(description="Items")
    def items(self, checkout: AbandonedCheckout) -> str:
        return ", ".join(
            f"{line.quantity} × {line.title}"  # noqa: RUF001 (times)
            + (f" ({line.variant_title})" if line.variant_title else "")
            for line in checkout.lines.all()
        )

    @admin.display(description="Total", ordering="total")
    def total_display(self, checkout: AbandonedCheckout) -> str:
        return money_format(checkout.total, checkout.currency)

    @admin.display(description="Amounts")
    def amounts(self, checkout: AbandonedCheckout) -> str:
        """As the receipt words them: "Subtotal €48.00 · Shipping (Colissimo) €4.90 · …"."""
        return " · ".join(
            f"{amount.label} {amount.amount}" for amount in order_amounts(order=checkout)
        )

    @admin.display(description="Stock held until")
    def holds_until(self, checkout: AbandonedCheckout) -> str:
        if checkout.stock_status != Order.Stock.HELD or checkout.reserved_until is None:
            return "Not held: the items are back in stock"
        return _when(checkout.reserved_until)

    @admin.display(description="State")
    def state(self, checkout: AbandonedCheckout) -> str:
        if checkout.status == Status.PENDING_PAYMENT:
            return "Paying now"
        if checkout.status == Status.CANCELLED:
            return "Cancelled" if checkout.note == MERCHANT_CANCEL_NOTE else "Left unpaid"
        return checkout.get_status_display()

    @admin.display(description="Reminder")
    def reminder(self, checkout: AbandonedCheckout) -> str:
        sent_at = getattr(checkout, "reminder_sent_at", None)
        return f"Sent {_when(sent_at)}" if sent_at else "Not sent"

    @admin.display(description="Started", ordering="created")
    def started(self, checkout: AbandonedCheckout) -> str:
        return _when(checkout.created)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        checkout = (
            AbandonedCheckout.objects.filter(pk=object_id).first()
            if str(object_id).isdigit()
            else None
        )
        extra_context = {
            **(extra_context or {}),
            "title": f"Checkout {checkout.number}" if checkout else "Checkout",
            "subtitle": None,
            # read only: nothing to save (cancelling is a form of its own)
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            "can_cancel": checkout is not None
            and checkout.status == Status.PENDING_PAYMENT
            and self.has_change_permission(request, checkout),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "reminders/",
                view(self.reminders_view),
                name="orders_abandonedcheckout_reminders",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "title": "Abandoned checkouts",
            "reminders_on": checkout_recovery_is_enabled(),
            "reminder_delay": _delay_in_words(settings.ORDERS_RECOVERY_EMAIL_DELAY_SECONDS),
            "reminders_url": reverse("admin:orders_abandonedcheckout_reminders"),
        }
        return super().changelist_view(request, extra_context)

    def reminders_view(self, request: HttpRequest) -> HttpResponse:
        """Turn checkout reminders on or off (POST ``reminders`` = on / off)."""
        back = HttpResponseRedirect(reverse("admin:orders_abandonedcheckout_changelist"))
        if request.method != "POST":
            return back
        if not self.has_change_permission(request):
            raise PermissionDenied
        choice = request.POST.get("reminders")
        if choice not in ("on", "off"):
            messages.error(request, "Choose whether to send checkout reminders: on or off.")
            return back
        services.checkout_recovery_set(is_enabled=choice == "on")
        messages.success(
            request,
            "Checkout reminders are on: shoppers who leave a checkout from now on get one "
            f"email {_delay_in_words(settings.ORDERS_RECOVERY_EMAIL_DELAY_SECONDS)} later."
            if choice == "on"
            else "Checkout reminders are off: no reminder will be sent.",
        )
        return back

    @admin.action(description="Cancel selected checkouts still held (stock goes back)")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[AbandonedCheckout]) -> None:
        done, problems = 0, []
        for checkout in queryset:
            try:
                services.order_cancel(order=checkout)
                done += 1
            except services.OrderActionError as exc:
                problems.append(str(exc))
        if done:
            messages.success(request, f"{done} checkout(s) cancelled; their stock is back.")
        for problem in problems[:10]:
            messages.error(request, problem)
