"""The shop's Payments page in the admin (the PaymentAccount row): "Connect with Stripe"
and the way back from Stripe's onboarding, the form for the shop's own keys, and the
payment health panel. Every write goes through ``orders.payment_accounts``."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse

from orders.models import PaymentAccount
from orders.payment_accounts import (
    CONNECT_UNAVAILABLE,
    payment_account_onboarding_start,
    payment_account_remove,
    payment_account_set_keys,
    payment_account_state_refresh,
    shop_payments,
)
from orders.selectors import connect_payouts, payment_connection, payment_health_report
from orders.wallets import wallet_domains
from shops.selectors import current_shop, shop_url


def warn_if_cannot_sell(request: HttpRequest) -> None:
    """The orders pages' banner while the shop cannot sell, with the reason."""
    payments = shop_payments()
    if not payments.can_sell:
        messages.warning(request, f"Your shop cannot sell: {payments.problem}")


def _webhook_url(request: HttpRequest) -> str:
    """The address Stripe sends the shop's events to: its own host."""
    return shop_url(current_shop(), request) + reverse("stripe-webhook")


class PaymentKeysForm(forms.ModelForm):
    """The shop's own Stripe keys: checked with Stripe on save (nothing is saved when
    Stripe refuses them), the webhook endpoint made through Stripe's API unless a
    signing secret is given."""

    webhook_url = ""  # set per request by PaymentAccountAdmin.get_form

    secret_key = forms.CharField(
        widget=forms.PasswordInput,
        help_text="sk_… (or a restricted rk_…) from Stripe, Developers → API keys. Checked "
        "with Stripe when you save, and stored encrypted.",
    )
    webhook_secret = forms.CharField(
        label="Webhook signing secret",
        required=False,
        widget=forms.PasswordInput,
        help_text="Leave empty: Etalage creates the webhook endpoint in your Stripe account "
        "and keeps its secret. Only if your key may not create endpoints: the signing "
        "secret (whsec_…) of your own endpoint for this shop's /webhooks/stripe/.",
    )

    class Meta:
        model = PaymentAccount
        fields = ("publishable_key",)
        help_texts = {
            "publishable_key": "pk_… from the same page, in the same mode (test or live)."
        }

    def clean(self):
        cleaned = super().clean()
        self.saved = None
        if self.errors:
            return cleaned
        self.saved = payment_account_set_keys(
            secret_key=cleaned.get("secret_key", ""),
            publishable_key=cleaned.get("publishable_key", ""),
            webhook_secret=cleaned.get("webhook_secret", ""),
            webhook_url=self.webhook_url,
        )
        return cleaned


@admin.register(PaymentAccount)
class PaymentAccountAdmin(admin.ModelAdmin):
    """Payments: the shop's Stripe connection (one row). The list page is the Payments
    page (status in words, "Connect with Stripe", own keys, health); the add and change
    forms take the shop's own keys."""

    form = PaymentKeysForm
    change_list_template = "admin/orders/paymentaccount/change_list.html"

    # "Add" stays offered (asking whether the row exists would cost every admin page a
    # query for the sidebar); adding again replaces the one connection.

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("connect/", view(self.connect_view), name="orders_paymentaccount_connect"),
            path(
                "connect/refresh/",
                view(self.connect_refresh_view),
                name="orders_paymentaccount_connect_refresh",
            ),
            path(
                "connect/return/",
                view(self.connect_return_view),
                name="orders_paymentaccount_connect_return",
            ),
            *super().get_urls(),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"webhook_url": _webhook_url(request)})

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "title": "Payments",
            "subtitle": None,
            "connection": payment_connection(),
            "connect_unavailable": CONNECT_UNAVAILABLE,
            "health": payment_health_report(),
            "payouts": connect_payouts(),
            "wallet_domains": wallet_domains(),
            "webhook_url": _webhook_url(request),
        }
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "title": "Your own Stripe keys",
            "health": payment_health_report(),
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_model(self, request, obj) -> None:
        payment_account_remove()

    def delete_queryset(self, request, queryset) -> None:
        payment_account_remove()

    def save_model(self, request, obj, form, change) -> None:
        # Saved by the form through orders.payment_accounts (checked, encrypted).
        obj.pk = form.saved.pk

    def response_add(self, request, obj, post_url_continue=None) -> HttpResponse:
        messages.success(request, "Stripe knows your keys: your shop can sell.")
        return HttpResponseRedirect(self._payments_page())

    def response_change(self, request, obj) -> HttpResponse:
        return self.response_add(request, obj)

    def _payments_page(self) -> str:
        return reverse("admin:orders_paymentaccount_changelist")

    def _may_connect(self, request: HttpRequest) -> None:
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied

    def _to_stripe(self, request: HttpRequest) -> HttpResponse:
        """Send the merchant to Stripe's onboarding for the shop's connected account."""

        def here(name: str) -> str:
            return request.build_absolute_uri(reverse(f"admin:orders_paymentaccount_{name}"))

        try:
            url = payment_account_onboarding_start(
                refresh_url=here("connect_refresh"),
                return_url=here("connect_return"),
                email=getattr(request.user, "email", ""),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(self._payments_page())
        return HttpResponseRedirect(url)

    def connect_view(self, request: HttpRequest) -> HttpResponse:
        """ "Connect with Stripe" (POST): to Stripe's hosted onboarding."""
        self._may_connect(request)
        if request.method != "POST":
            return HttpResponseRedirect(self._payments_page())
        return self._to_stripe(request)

    def connect_refresh_view(self, request: HttpRequest) -> HttpResponse:
        """Stripe's ``refresh_url``: its onboarding address expired or was used; a new one
        for the shop's account (never a new account: without one, back to Payments)."""
        self._may_connect(request)
        if not shop_payments().connected_account_id:
            return HttpResponseRedirect(self._payments_page())
        return self._to_stripe(request)

    def connect_return_view(self, request: HttpRequest) -> HttpResponse:
        """Stripe's ``return_url``: read the shop's account from Stripe and say where it
        stands (leaving the onboarding early comes back here too)."""
        self._may_connect(request)
        try:
            payment_account_state_refresh()
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(self._payments_page())
        payments = shop_payments()
        if payments.can_sell:
            messages.success(
                request, "Back from Stripe: card payments are enabled, your shop can sell."
            )
        else:
            messages.warning(request, f"Back from Stripe. {payments.problem}")
        return HttpResponseRedirect(self._payments_page())
