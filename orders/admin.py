"""The merchant's orders admin: list with filters, detail, fulfil, cancel, refund, and
the shop's Stripe connection. Every action calls an orders service."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from orders import services
from orders.models import Order, OrderLine, PaymentAccount
from orders.payment_accounts import (
    payment_account_connect,
    payment_account_remove,
    payment_account_set_keys,
    shop_payments,
)
from orders.status import can_transition

Status = Order.Status


def _warn_if_cannot_sell(request: HttpRequest) -> None:
    payments = shop_payments()
    if not payments.can_sell:
        messages.warning(request, f"Your shop cannot sell: {payments.problem}")


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ("title", "variant_title", "sku", "unit_price", "quantity", "line_total",
              "restocked_quantity")  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False


def _restocked(order: Order) -> int:
    return sum(order.lines.values_list("restocked_quantity", flat=True))


def _restock_from_post(
    request: HttpRequest, order: Order, amount: Decimal | None
) -> dict[int, int]:
    """The refund form's stock choice: quantities typed per line, else (full refund with
    "return every item to stock" ticked) everything still out, else nothing."""
    per_line: dict[int, int] = {}
    lines = list(order.lines.all())
    for line in lines:
        raw = request.POST.get(f"restock_{line.id}", "").strip()
        if not raw:
            continue
        try:
            per_line[line.id] = int(raw)
        except ValueError:
            raise services.OrderActionError(
                f"“{raw}” is not a number of items to return to stock."
            ) from None
    if any(per_line.values()):
        return per_line
    if amount is None and request.POST.get("restock_all"):
        return {line.id: line.restockable_quantity for line in lines}
    return {}


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "created", "email", "status", "total", "currency", "utm_source")
    list_filter = ("status", "stock_status", "utm_source", "created")
    search_fields = ("email", "payment_intent_id", "lines__sku", "tracking_number")
    date_hierarchy = "created"
    list_per_page = 50
    inlines = [OrderLineInline]
    change_form_template = "admin/orders/order/change_form.html"
    fields = (
        "status", "stock_status", "email", "shipping_address", "currency", "subtotal", "total",
        "refunded_amount", "payment_intent_id", "stripe_account_id", "coupon_code",
        "utm_source", "utm_medium", "utm_campaign", "tracking_number", "note", "created",
        "reserved_until", "paid_at", "fulfilled_at", "cancelled_at",
    )  # fmt: skip
    readonly_fields = fields
    actions = ["cancel_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    @admin.display(description="Number")
    def number(self, order: Order) -> str:
        return order.number

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.method == "GET":
            _warn_if_cannot_sell(request)
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:order_id>/act/<str:action>/",
                self.admin_site.admin_view(self.act),
                name="orders_order_act",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = get_object_or_404(Order, pk=object_id)
        extra_context = {
            **(extra_context or {}),
            "can_fulfil": can_transition(order, Status.FULFILLED),
            "can_cancel": order.status == Status.PENDING_PAYMENT,
            "can_refund": order.paid_at is not None and can_transition(order, Status.REFUNDED),
            "refundable": order.total - order.refunded_amount,
            # "return items to stock": on by default until the order ships
            "restock_lines": [line for line in order.lines.all() if line.restockable_quantity]
            if order.stock_status == Order.Stock.COMMITTED
            else [],
            "restock_by_default": order.fulfilled_at is None,
            "fulfil_url": reverse("admin:orders_order_act", args=[order.id, "fulfil"]),
            "cancel_url": reverse("admin:orders_order_act", args=[order.id, "cancel"]),
            "refund_url": reverse("admin:orders_order_act", args=[order.id, "refund"]),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def act(self, request: HttpRequest, order_id: int, action: str) -> HttpResponse:
        """Fulfil (with a tracking number), cancel or refund (all or an amount)."""
        order = get_object_or_404(Order, pk=order_id)
        back = HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.id]))
        if request.method != "POST" or not self.has_change_permission(request, order):
            return back
        try:
            if action == "fulfil":
                services.order_fulfil(
                    order=order, tracking_number=request.POST.get("tracking_number", "")
                )
                messages.success(
                    request, f"Order {order.number} is fulfilled; the shopper was emailed."
                )
            elif action == "cancel":
                services.order_cancel(order=order)
                messages.success(request, f"Order {order.number} is cancelled; its stock is back.")
            elif action == "refund":
                raw = request.POST.get("amount", "").strip()
                try:
                    amount = Decimal(raw) if raw else None
                except InvalidOperation:
                    raise services.OrderActionError(f"“{raw}” is not an amount.") from None
                before = _restocked(order)
                services.order_refund(
                    order=order, amount=amount, restock=_restock_from_post(request, order, amount)
                )
                returned = _restocked(order) - before
                messages.success(
                    request,
                    f"Order {order.number}: refund sent through Stripe"
                    + (f"; {returned} item(s) back in stock." if returned else "."),
                )
        except services.OrderActionError as exc:
            messages.error(request, str(exc))
        return back

    @admin.action(description="Cancel selected unpaid orders (stock goes back)")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done, problems = 0, []
        for order in queryset:
            try:
                services.order_cancel(order=order)
                done += 1
            except services.OrderActionError as exc:
                problems.append(str(exc))
        if done:
            messages.success(request, f"{done} order(s) cancelled.")
        for problem in problems[:10]:
            messages.error(request, problem)


class PaymentAccountForm(forms.ModelForm):
    secret_key = forms.CharField(
        required=False, widget=forms.PasswordInput, help_text="sk_… (stored encrypted)"
    )
    webhook_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        help_text="whsec_… of the endpoint /webhooks/stripe/ in your Stripe dashboard "
        "(stored encrypted)",
    )

    class Meta:
        model = PaymentAccount
        fields = ("mode", "stripe_account_id", "publishable_key")

    def clean(self):
        cleaned = super().clean()
        try:
            if cleaned.get("mode") == PaymentAccount.Mode.CONNECT:
                self.saved = payment_account_connect(
                    stripe_account_id=cleaned.get("stripe_account_id", "")
                )
            else:
                self.saved = payment_account_set_keys(
                    secret_key=cleaned.get("secret_key", ""),
                    publishable_key=cleaned.get("publishable_key", ""),
                    webhook_secret=cleaned.get("webhook_secret", ""),
                )
        except ValidationError as exc:
            self.saved = None
            raise exc from None
        return cleaned


@admin.register(PaymentAccount)
class PaymentAccountAdmin(admin.ModelAdmin):
    """The shop's Stripe connection (one row)."""

    form = PaymentAccountForm
    list_display = ("__str__", "stripe_account_id", "updated")

    # "Add" stays offered (asking whether the row exists would cost every admin page a
    # query for the sidebar); adding again replaces the one connection.

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.method == "GET":
            _warn_if_cannot_sell(request)
        return super().changelist_view(request, extra_context)

    def delete_model(self, request, obj) -> None:
        payment_account_remove()

    def delete_queryset(self, request, queryset) -> None:
        payment_account_remove()

    def save_model(self, request, obj, form, change) -> None:
        # Saved by the form through orders.payment_accounts (validated, encrypted).
        obj.pk = form.saved.pk
