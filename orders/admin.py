"""The merchant's orders admin: list with filters, detail, fulfil, cancel, refund. Every
action calls an orders service. The shop's Stripe connection (the Payments page) is
registered by ``orders.payments_admin``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from orders import services
from orders.models import Order
from orders.payments_admin import warn_if_cannot_sell
from orders.selectors import order_lines_amount, order_timeline, payment_health_report
from orders.status import can_transition
from shops.currencies import money_format

Status = Order.Status


def _warn_if_payments_unhealthy(request: HttpRequest) -> None:
    """The order pages' banner when webhooks fail (see the Payment accounts page)."""
    for problem in payment_health_report().problems:
        messages.warning(request, f"Payments: {problem}")


def _restocked(order: Order) -> int:
    return sum(order.lines.values_list("restocked_quantity", flat=True))


def _quantities_from_post(
    request: HttpRequest, order: Order, prefix: str, *, purpose: str
) -> dict[int, int]:
    """{line id: quantity} typed in the inputs ``<prefix>_<line id>`` (blank ones left out)."""
    quantities: dict[int, int] = {}
    for line in order.lines.all():
        raw = request.POST.get(f"{prefix}_{line.id}", "").strip()
        if not raw:
            continue
        try:
            quantities[line.id] = int(raw)
        except ValueError:
            raise services.OrderActionError(
                f"“{raw}” is not a number of items {purpose}."
            ) from None
    return quantities


def _restock_from_post(
    request: HttpRequest, order: Order, amount: Decimal | None
) -> dict[int, int]:
    """The refund form's stock choice: quantities typed per line, else (full refund with
    "return every item to stock" ticked) everything still out, else nothing."""
    per_line = _quantities_from_post(request, order, "restock", purpose="to return to stock")
    if any(per_line.values()):
        return per_line
    if amount is None and request.POST.get("restock_all"):
        return {line.id: line.restockable_quantity for line in order.lines.all()}
    return {}


def _refund_amount_from_post(request: HttpRequest, order: Order) -> Decimal | None:
    """The amount typed, else what the items ticked for refund cost, else None (all
    that is left)."""
    raw = request.POST.get("amount", "").strip()
    if raw:
        try:
            return Decimal(raw.replace(",", "."))
        except InvalidOperation:
            raise services.OrderActionError(f"“{raw}” is not an amount.") from None
    items = _quantities_from_post(request, order, "refund", purpose="to refund")
    if not any(items.values()):
        return None
    try:
        return order_lines_amount(order=order, quantities=items)
    except ValueError as exc:
        raise services.OrderActionError(str(exc)) from None


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """The order list, and one order's page (``change_form.html``): customer, address,
    lines, totals, timeline, and the actions fulfil, cancel and refund, each a form of
    its own posting to its own view here, which calls the orders service the partner
    API calls too."""

    list_display = ("number", "created", "email", "status", "total_display", "utm_source")
    list_filter = ("status", "stock_status", "utm_source", "created")
    search_fields = ("email", "payment_intent_id", "lines__sku", "tracking_number")
    date_hierarchy = "created"
    list_per_page = 50
    change_form_template = "admin/orders/order/change_form.html"
    fields = (
        "status", "stock_status", "email", "shipping_address", "currency", "subtotal", "total",
        "refunded_amount", "payment_intent_id", "stripe_account_id", "coupon_code",
        "utm_source", "utm_medium", "utm_campaign", "carrier", "tracking_number", "note",
        "created", "reserved_until", "paid_at", "fulfilled_at", "cancelled_at",
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

    @admin.display(description="Total", ordering="total")
    def total_display(self, order: Order) -> str:
        return money_format(order.total, order.currency)

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.method == "GET":
            warn_if_cannot_sell(request)
            _warn_if_payments_unhealthy(request)
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:order_id>/fulfil/", view(self.fulfil_view), name="orders_order_fulfil"),
            path("<int:order_id>/cancel/", view(self.cancel_view), name="orders_order_cancel"),
            path("<int:order_id>/refund/", view(self.refund_view), name="orders_order_refund"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = get_object_or_404(
            Order.objects.prefetch_related("lines", "activities"), pk=object_id
        )
        can_act = self.has_change_permission(request, order)
        if request.method == "GET":
            _warn_if_payments_unhealthy(request)
        address = order.shipping_address or {}
        lines = list(order.lines.all())
        extra_context = {
            **(extra_context or {}),
            "title": f"Order {order.number}",
            "subtitle": None,
            "order": order,
            "lines": lines,
            "customer_name": address.get("name", ""),
            "customer_phone": address.get("phone", ""),
            "address_lines": [
                part
                for part in (
                    address.get("line1", ""),
                    address.get("line2", ""),
                    " ".join(p for p in (address.get("postal_code"), address.get("city")) if p),
                    address.get("state", ""),
                    address.get("country", ""),
                )
                if part
            ],
            "timeline": order_timeline(order=order),
            "refundable": order.total - order.refunded_amount,
            "can_fulfil": can_act and can_transition(order, Status.FULFILLED),
            "can_cancel": can_act and order.status == Status.PENDING_PAYMENT,
            "can_refund": can_act
            and order.paid_at is not None
            and can_transition(order, Status.REFUNDED),
            "is_paid_not_cancellable": can_act and order.paid_at is not None,
            "restock_lines": [line for line in lines if line.restockable_quantity]
            if order.stock_status == Order.Stock.COMMITTED
            else [],
            # "return items to stock": on by default until the order ships
            "restock_by_default": order.fulfilled_at is None,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _order_to_act_on(self, request: HttpRequest, order_id: int) -> Order:
        order = get_object_or_404(Order, pk=order_id)
        if not self.has_change_permission(request, order):
            raise PermissionDenied
        return order

    def _back(self, order: Order) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.id]))

    def _confirm(
        self, request: HttpRequest, order: Order, *, action: str, title: str,
        consequences: list[str], button: str,
    ) -> HttpResponse:  # fmt: skip
        """The confirmation step: what will happen, and the same POST again with
        ``confirmed``."""
        carried = [
            (name, value)
            for name, value in request.POST.items()
            if name not in ("csrfmiddlewaretoken", "confirmed")
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "order": order,
            "title": title,
            "consequences": consequences,
            "button": button,
            "action_url": reverse(f"admin:orders_order_{action}", args=[order.id]),
            "carried": carried,
        }
        return TemplateResponse(request, "admin/orders/order/confirm_action.html", context)

    def fulfil_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        """Fulfil the whole order with a carrier and tracking number (both optional)."""
        order = self._order_to_act_on(request, order_id)
        if request.method != "POST":
            return self._back(order)
        try:
            services.order_fulfil(
                order=order,
                carrier=request.POST.get("carrier", ""),
                tracking_number=request.POST.get("tracking_number", ""),
            )
        except services.OrderActionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"Order {order.number} is fulfilled; the shopper is emailed that it "
                "is on its way.",
            )  # fmt: skip
        return self._back(order)

    def cancel_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        """Cancel an unpaid order (after a confirmation step); its stock goes back."""
        order = self._order_to_act_on(request, order_id)
        if request.method != "POST":
            return self._back(order)
        if request.POST.get("confirmed") != "yes":
            items = sum(line.quantity for line in order.lines.all())
            return self._confirm(
                request, order, action="cancel", title=f"Cancel order {order.number}?",
                consequences=[
                    "Its payment at Stripe is cancelled, so it can no longer be paid.",
                    f"Its {items} item(s) go back to stock.",
                    "The shopper is not charged and gets no email.",
                ],
                button="Yes, cancel the order",
            )  # fmt: skip
        try:
            services.order_cancel(order=order)
        except services.OrderActionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Order {order.number} is cancelled; its stock is back.")
        return self._back(order)

    def refund_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        """Refund all that is left, the items ticked, or an amount, returning items to
        stock or not (after a confirmation step)."""
        order = self._order_to_act_on(request, order_id)
        if request.method != "POST":
            return self._back(order)
        try:
            amount = _refund_amount_from_post(request, order)
            restock = _restock_from_post(request, order, amount)
            if request.POST.get("confirmed") != "yes":
                return self._confirm_refund(request, order, amount=amount, restock=restock)
            before = _restocked(order)
            services.order_refund(order=order, amount=amount, restock=restock)
        except services.OrderActionError as exc:
            messages.error(request, str(exc))
            return self._back(order)
        returned = _restocked(order) - before
        messages.success(
            request,
            f"Order {order.number}: refund sent through Stripe"
            + (f"; {returned} item(s) back in stock." if returned else ".")
            + " The shopper is emailed.",
        )
        return self._back(order)

    def _confirm_refund(
        self, request: HttpRequest, order: Order, *, amount: Decimal | None,
        restock: dict[int, int],
    ) -> HttpResponse:  # fmt: skip
        refundable = order.total - order.refunded_amount
        money = money_format(refundable if amount is None else amount, order.currency)
        lines = {line.id: line for line in order.lines.all()}
        returned = [
            f"{quantity} \N{MULTIPLICATION SIGN} {lines[line_id].title}"
            for line_id, quantity in restock.items()
            if quantity and line_id in lines
        ]
        return self._confirm(
            request, order, action="refund", title=f"Refund {money} of order {order.number}?",
            consequences=[
                f"{money} goes back to the shopper's card through Stripe"
                + (" (all that is left of the payment)." if amount is None else "."),
                "Back in stock: " + ", ".join(returned) + "." if returned
                else "No item goes back to stock.",
                "The shopper is emailed about the refund.",
            ],
            button=f"Yes, refund {money}",
        )  # fmt: skip

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
