"""The merchant's orders admin: list with filters, detail, fulfil, cancel, refund, and
the pricing rules a checkout applies (shipping zones and rates, tax rates and settings,
discount codes). Every action and save calls an orders service. The shop's Stripe
connection (the Payments page) is registered by ``orders.payments_admin``; checkouts never
paid (not orders) are listed by ``orders.checkouts_admin``."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from catalog.admin import inline_changes
from orders import checkouts_admin, services
from orders.models import (
    Discount,
    Order,
    ShippingRate,
    ShippingZone,
    TaxRate,
    TaxSettings,
)
from orders.payments_admin import warn_if_cannot_sell
from orders.pricing import prices_include_tax
from orders.receipts import order_amounts
from orders.selectors import (
    order_fees,
    order_lines_amount,
    order_refunds,
    order_timeline,
    orders_paid,
    payment_health_report,
)
from orders.services.discounts import DISCOUNT_FIELDS
from orders.services.shipping import RATE_FIELDS
from orders.status import can_transition, statuses_after
from shops.currencies import money_format
from shops.selectors import shop_currency

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
    request: HttpRequest, order: Order, amount: Decimal | None, items: dict[int, int]
) -> dict[int, int]:
    """The refund form's stock choice: quantities typed per line, else (full refund with
    "return every item to stock" ticked) everything still out, else nothing."""
    per_line = _quantities_from_post(request, order, "restock", purpose="to return to stock")
    if any(per_line.values()):
        return per_line
    if amount is None and not any(items.values()) and request.POST.get("restock_all"):
        return {line.id: line.restockable_quantity for line in order.lines.all()}
    return {}


def _refund_amount_from_post(request: HttpRequest) -> Decimal | None:
    """The amount typed, else None (what the items chosen cost, or all that is left)."""
    raw = request.POST.get("amount", "").strip()
    if not raw:
        return None
    try:
        return Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise services.OrderActionError(f"“{raw}” is not an amount.") from None


class PaidOrderStatusFilter(admin.SimpleListFilter):
    """The statuses a paid order can show (the list holds paid orders only): pending
    payment and cancelled belong to Abandoned checkouts. Same query parameter as the
    field's own filter, so links made before keep working."""

    title = "status"
    parameter_name = "status__exact"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        labels = dict(Order.Status.choices)
        return [(status, labels[status]) for status in statuses_after(Order.Status.PAID)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """The order list, and one order's page (``change_form.html``): customer, address,
    lines, totals, timeline, and the actions fulfil, cancel and refund, each a form of
    its own posting to its own view here, which calls the orders service the partner
    API calls too."""

    list_display = ("number", "created", "email", "status", "total_display", "utm_source")
    list_filter = (PaidOrderStatusFilter, "stock_status", "utm_source", "created")
    search_fields = ("email", "payment_intent_id", "lines__sku", "tracking_number")
    date_hierarchy = "created"
    list_per_page = 50
    change_form_template = "admin/orders/order/change_form.html"
    fields = (
        "status",
        "stock_status",
        "email",
        "shipping_address",
        "currency",
        "subtotal",
        "shipping_amount",
        "discount_amount",
        "tax_name",
        "tax_amount",
        "prices_include_tax",
        "total",
        "refunded_amount",
        "payment_intent_id",
        "stripe_account_id",
        "coupon_code",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "carrier",
        "tracking_number",
        "note",
        "created",
        "reserved_until",
        "paid_at",
        "fulfilled_at",
        "cancelled_at",
    )
    readonly_fields = fields
    # (cancelling unpaid ones in bulk is on Abandoned checkouts: this list holds paid ones)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return orders_paid()  # a checkout never paid is under Abandoned checkouts

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
            Order.objects.prefetch_related(
                "lines",
                "activities",
                "fulfilments__lines__order_line",
                "refunds__lines__order_line",
            ),
            pk=object_id,
        )
        if order.paid_at is None:  # not an order (yet): its page is the checkout's
            return HttpResponseRedirect(
                reverse(f"admin:{checkouts_admin.CHECKOUT_CHANGE}", args=[order.id])
            )
        can_act = self.has_change_permission(request, order)
        if request.method == "GET":
            _warn_if_payments_unhealthy(request)
        address = order.shipping_address or {}
        lines = list(order.lines.all())
        ship_lines = [line for line in lines if line.to_ship_quantity]
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
            "amounts": order_amounts(order=order, with_refund=False),
            "timeline": order_timeline(order=order),
            "fulfilments": order.fulfilments.all(),
            "refunds": order_refunds(order=order),
            "fees": order_fees(order=order),
            "ship_lines": ship_lines,
            "refundable": order.total - order.refunded_amount,
            "can_fulfil": can_act and can_transition(order, Status.FULFILLED) and bool(ship_lines),
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
        self,
        request: HttpRequest,
        order: Order,
        *,
        action: str,
        title: str,
        consequences: list[str],
        button: str,
    ) -> HttpResponse:
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
        """Ship the quantities typed per line (``ship_<line id>``; none typed: all that
        is left) as one parcel, with a carrier and tracking number (both optional)."""
        order = self._order_to_act_on(request, order_id)
        if request.method != "POST":
            return self._back(order)
        try:
            shipped = _quantities_from_post(request, order, "ship", purpose="to ship")
            fulfilment = services.order_fulfil(
                order=order,
                carrier=request.POST.get("carrier", ""),
                tracking_number=request.POST.get("tracking_number", ""),
                lines=shipped or None,
            )
        except services.OrderActionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"Order {order.number} is fulfilled; the shopper is emailed that it is on its way."
                if fulfilment.order.status == Status.FULFILLED
                else f"Order {order.number} is partially fulfilled; the shopper is emailed what "
                "this parcel holds.",
            )
        return self._back(order)

    def cancel_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        """Cancel an unpaid order (after a confirmation step); its stock goes back."""
        order = self._order_to_act_on(request, order_id)
        if request.method != "POST":
            return self._back(order)
        if request.POST.get("confirmed") != "yes":
            items = sum(line.quantity for line in order.lines.all())
            return self._confirm(
                request,
                order,
                action="cancel",
                title=f"Cancel order {order.number}?",
                consequences=[
                    "Its payment at Stripe is cancelled, so it can no longer be paid.",
                    f"Its {items} item(s) go back to stock.",
                    "The shopper is not charged and gets no email.",
                ],
                button="Yes, cancel the order",
            )
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
            amount = _refund_amount_from_post(request)
            items = _quantities_from_post(request, order, "refund", purpose="to refund")
            restock = _restock_from_post(request, order, amount, items)
            if request.POST.get("confirmed") != "yes":
                return self._confirm_refund(
                    request, order, amount=amount, items=items, restock=restock
                )
            before = _restocked(order)
            chosen = {line_id: quantity for line_id, quantity in items.items() if quantity}
            services.order_refund(order=order, amount=amount, restock=restock, lines=chosen or None)
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
        self,
        request: HttpRequest,
        order: Order,
        *,
        amount: Decimal | None,
        items: dict[int, int],
        restock: dict[int, int],
    ) -> HttpResponse:
        refundable = order.total - order.refunded_amount
        if amount is None and any(items.values()):
            try:
                amount = order_lines_amount(order=order, quantities=items)
            except ValueError as exc:
                raise services.OrderActionError(str(exc)) from None
        money = money_format(refundable if amount is None else amount, order.currency)
        lines = {line.id: line for line in order.lines.all()}
        refunded = [
            f"{quantity} \N{MULTIPLICATION SIGN} {lines[line_id].title}"
            for line_id, quantity in items.items()
            if quantity and line_id in lines
        ]
        returned = [
            f"{quantity} \N{MULTIPLICATION SIGN} {lines[line_id].title}"
            for line_id, quantity in restock.items()
            if quantity and line_id in lines
        ]
        return self._confirm(
            request,
            order,
            action="refund",
            title=f"Refund {money} of order {order.number}?",
            consequences=[
                f"{money} goes back to the shopper's card through Stripe"
                + (" (all that is left of the payment)." if amount is None else ".")
                + (" Refunded items: " + ", ".join(refunded) + "." if refunded else ""),
                "Back in stock: " + ", ".join(returned) + "."
                if returned
                else "No item goes back to stock.",
                "The shopper is emailed about the refund.",
            ],
            button=f"Yes, refund {money}",
        )


# --- Pricing rules: shipping zones and rates, taxes, discount codes --------------------
# Forms check their fields with the services' own checks; saves go through the services.


def _field_errors(form: forms.BaseForm, check: Callable[[], dict]) -> dict | None:
    """``check()``'s cleaned fields, or its errors put on the form's fields."""
    try:
        return check()
    except ValidationError as error:
        form.add_error(None, error)
        return None


def _currency_help(form: forms.BaseForm, *names: str) -> None:
    currency = shop_currency()
    for name in names:
        if name in form.fields:
            form.fields[name].help_text += f" In {currency}."


class ThroughServicesAdmin(admin.ModelAdmin):
    """An admin whose saves and deletions go through the orders services: the form's
    ``service_fields`` to ``service_create(**fields)`` or to ``service_update(<row>=the
    stored row, **fields)``, and ``service_delete(<row>=row)``, where ``<row>`` is
    ``service_row``, the services' name for the row."""

    service_fields: tuple[str, ...] = ()
    service_row = ""
    service_create: Callable[..., Model]
    service_update: Callable[..., Model]
    service_delete: Callable[..., None]

    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in self.service_fields}
        if change:
            self.service_update(**{self.service_row: self.model.objects.get(pk=obj.pk)}, **fields)
        else:
            # the form's instance is the object the admin logs and redirects to
            obj.pk = self.service_create(**fields).pk

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        self.service_delete(**{self.service_row: obj})

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for row in queryset:
            self.service_delete(**{self.service_row: row})


class ShippingZoneForm(forms.ModelForm):
    countries = forms.CharField(
        label="Countries",
        help_text="Two-letter codes separated by commas, e.g. FR, BE, LU. A country can be "
        "in one zone only; shoppers elsewhere are told you do not ship to them.",
    )

    class Meta:
        model = ShippingZone
        fields = ("name", "countries")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["countries"] = ", ".join(self.instance.countries)

    def clean_countries(self) -> list[str]:
        return [code for code in re.split(r"[\s,;]+", self.cleaned_data["countries"]) if code]

    def clean(self) -> dict:
        cleaned = super().clean()
        if {"name", "countries"} <= set(cleaned):
            checked = _field_errors(
                self,
                lambda: services.shipping_zone_clean(
                    name=cleaned.get("name", ""),
                    countries=cleaned["countries"],
                    zone=self.instance if self.instance.pk else None,
                ),
            )
            cleaned.update(checked or {})
        return cleaned


class ShippingRateForm(forms.ModelForm):
    class Meta:
        model = ShippingRate
        fields = RATE_FIELDS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _currency_help(self, "price", "min_order_value", "max_order_value", "free_over")

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.cleaned_data.get("DELETE") or not self.has_changed():
            return cleaned
        fields = {name: cleaned.get(name) for name in RATE_FIELDS}
        if fields["kind"] is None:  # a choice the form refused already
            return cleaned
        cleaned.update(_field_errors(self, lambda: services.shipping_rate_clean(**fields)) or {})
        return cleaned


class ShippingRateInline(admin.TabularInline):
    model = ShippingRate
    form = ShippingRateForm
    extra = 1
    verbose_name = "rate"
    verbose_name_plural = "Rates (cheapest offered first at checkout)"


@admin.register(ShippingZone)
class ShippingZoneAdmin(ThroughServicesAdmin):
    """Zones with their rates inline, written through orders.services.shipping."""

    service_fields, service_row = ("name", "countries"), "zone"
    service_create = staticmethod(services.shipping_zone_create)
    service_update = staticmethod(services.shipping_zone_update)
    service_delete = staticmethod(services.shipping_zone_delete)
    form = ShippingZoneForm
    inlines = [ShippingRateInline]
    list_display = ("name", "country_list", "rate_list")
    search_fields = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("rates")

    @admin.display(description="Countries")
    def country_list(self, zone: ShippingZone) -> str:
        return ", ".join(zone.countries)

    @admin.display(description="Rates")
    def rate_list(self, zone: ShippingZone) -> str:
        currency = shop_currency()
        return (
            "; ".join(
                f"{rate.name}: {money_format(rate.price, currency)}" for rate in zone.rates.all()
            )
            or "None: add one, or shoppers there cannot check out."
        )

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        """The rates through orders.services.shipping; the formset's new, changed and
        deleted objects are set as its ``save()`` sets them, for the change message."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        zone = form.instance
        for action, rate_form, rate in inline_changes(formset, zone.rates.all()):
            fields = {name: rate_form.cleaned_data[name] for name in RATE_FIELDS}
            if action == "delete":
                services.shipping_rate_delete(rate=rate)
                formset.deleted_objects.append(rate)
            elif action == "change":
                services.shipping_rate_update(rate=rate, **fields)
                formset.changed_objects.append((rate, rate_form.changed_data))
            else:
                formset.new_objects.append(services.shipping_rate_create(zone=zone, **fields))


def _tax_setting_said() -> str:
    if prices_include_tax():
        return "Your prices include tax: checkout shows the tax they contain."
    return "Tax is added to your prices at checkout."


class TaxRateForm(forms.ModelForm):
    class Meta:
        model = TaxRate
        fields = ("country", "name", "rate")

    def clean(self) -> dict:
        cleaned = super().clean()
        if {"country", "name", "rate"} <= set(cleaned):
            checked = _field_errors(
                self,
                lambda: services.tax_rate_clean(
                    country=cleaned["country"],
                    name=cleaned["name"],
                    rate=cleaned["rate"],
                    tax_rate=self.instance if self.instance.pk else None,
                ),
            )
            cleaned.update(checked or {})
        return cleaned


@admin.register(TaxRate)
class TaxRateAdmin(ThroughServicesAdmin):
    """Tax rates per country, written through orders.services.taxes."""

    service_fields, service_row = ("country", "name", "rate"), "tax_rate"
    service_create = staticmethod(services.tax_rate_create)
    service_update = staticmethod(services.tax_rate_update)
    service_delete = staticmethod(services.tax_rate_delete)
    form = TaxRateForm
    list_display = ("country", "name", "rate_display")
    search_fields = ("country", "name")

    @admin.display(description="Rate", ordering="rate")
    def rate_display(self, tax_rate: TaxRate) -> str:
        return f"{tax_rate.rate.normalize():f} %"

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.method == "GET":
            settings_url = reverse("admin:orders_taxsettings_changelist")
            messages.info(
                request,
                format_html(
                    '{} <a href="{}">Change it in Tax settings</a>. A country without a rate '
                    "pays no tax.",
                    _tax_setting_said(),
                    settings_url,
                ),
            )
        return super().changelist_view(request, extra_context)


class TaxSettingsForm(forms.Form):
    prices_include_tax = forms.TypedChoiceField(
        label="Your prices",
        choices=[
            ("yes", "Include tax: shoppers pay the price shown (usual in the EU and the UK)"),
            ("no", "Exclude tax: tax is added at checkout (usual in the US and Canada)"),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        help_text="The tax is computed from the tax rate of the shopper's country, on the "
        "items and on shipping, and shown as one line at checkout.",
    )


@admin.register(TaxSettings)
class TaxSettingsAdmin(admin.ModelAdmin):
    """One page with one question: whether the shop's prices include tax."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        initial = {"prices_include_tax": "yes" if prices_include_tax() else "no"}
        form = TaxSettingsForm(request.POST or None, initial=initial)
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            if form.is_valid():
                services.tax_settings_set(
                    prices_include_tax=form.cleaned_data["prices_include_tax"]
                )
                messages.success(request, f"Saved. {_tax_setting_said()}")
                return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Tax settings",
            "form": form,
            "tax_rates_url": reverse("admin:orders_taxrate_changelist"),
        }
        return TemplateResponse(request, "admin/orders/taxsettings/settings.html", context)


class DiscountForm(forms.ModelForm):
    class Meta:
        model = Discount
        fields = DISCOUNT_FIELDS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _currency_help(self, "minimum_subtotal")
        if "value" in self.fields:
            self.fields["value"].help_text = (
                "A percentage: 10 means 10% off the items. A fixed amount: the amount off the "
                f"items, in {shop_currency()}. Free shipping: leave it empty."
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        fields = {name: cleaned.get(name) for name in DISCOUNT_FIELDS}
        if None in (fields["code"], fields["kind"]):  # refused by the form already
            return cleaned
        checked = _field_errors(
            self,
            lambda: services.discount_clean(
                discount=self.instance if self.instance.pk else None, **fields
            ),
        )
        cleaned.update(checked or {})
        return cleaned


@admin.register(Discount)
class DiscountAdmin(ThroughServicesAdmin):
    """Discount codes and their uses, written through orders.services.discounts."""

    service_fields, service_row = DISCOUNT_FIELDS, "discount"
    service_create = staticmethod(services.discount_create)
    service_update = staticmethod(services.discount_update)
    service_delete = staticmethod(services.discount_delete)
    form = DiscountForm
    list_display = ("code", "takes_off", "used", "state", "starts_at", "ends_at")
    list_filter = ("kind", "is_active")
    search_fields = ("code",)
    readonly_fields = ("used", "recent_uses")
    fieldsets = (
        (None, {"fields": ("code", "kind", "value", "is_active")}),
        ("Conditions", {"fields": ("minimum_subtotal", "usage_limit", "once_per_customer")}),
        (
            "Dates",
            {
                "fields": ("starts_at", "ends_at"),
                "description": "Times are in the shop's time zone.",
            },
        ),
        ("Uses", {"fields": ("used", "recent_uses")}),
    )

    @admin.display(description="Takes off")
    def takes_off(self, discount: Discount) -> str:
        if discount.kind == Discount.Kind.PERCENTAGE and discount.value is not None:
            return f"{discount.value.normalize():f}% off the items"
        if discount.kind == Discount.Kind.FIXED_AMOUNT and discount.value is not None:
            return f"{money_format(discount.value, shop_currency())} off the items"
        return "Free shipping"

    @admin.display(description="Used", ordering="uses")
    def used(self, discount: Discount) -> str:
        if discount.usage_limit is None:
            return f"{discount.uses:,} (no limit)"
        return f"{discount.uses:,} of {discount.usage_limit:,}"

    @admin.display(description="State")
    def state(self, discount: Discount) -> str:
        now = timezone.now()
        if not discount.is_active:
            return "Off"
        if discount.ends_at is not None and discount.ends_at <= now:
            return "Ended"
        if discount.usage_limit is not None and discount.uses >= discount.usage_limit:
            return "Used up"
        if discount.starts_at is not None and discount.starts_at > now:
            return "Scheduled"
        return "Usable"

    @admin.display(description="Last uses")
    def recent_uses(self, discount: Discount) -> str:
        if not discount.pk:
            return "None yet."
        redemptions = list(discount.redemptions.select_related("order")[:20])
        if not redemptions:
            return "None yet."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">Order {}</a>: {}, {}</li>',
                (
                    (
                        reverse("admin:orders_order_change", args=[r.order_id]),
                        r.order.number,
                        r.email,
                        date_format(timezone.localtime(r.created), "j M Y H:i"),
                    )
                    for r in redemptions
                ),
            ),
        )
