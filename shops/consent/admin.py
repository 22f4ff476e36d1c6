"""Marketing consents in the back office: a list with search and a status filter, 50 a
page, read only apart from withdrawing (audited); above it, what the gate held back."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from shops.consent.models import MarketingConsent
from shops.consent.selectors import marketing_held_summary
from shops.consent.services import consent_withdraw


@admin.register(MarketingConsent)
class MarketingConsentAdmin(admin.ModelAdmin):
    # the dates are on each consent's page: the list stays readable on a phone
    list_display = ("email", "status", "source", "updated")
    list_filter = ("status", "source")
    search_fields = ("email",)
    list_per_page = 50
    show_full_result_count = False
    actions = ("withdraw",)
    fields = (
        "email",
        "status",
        "source",
        "wording",
        "asked_at",
        "confirmation_sent_at",
        "confirmed_at",
        "withdrawn_at",
        "withdrawn_via",
    )
    readonly_fields = fields

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "title": "Email consents",
            "held_summary": marketing_held_summary(),
        }
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_withdraw_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("consent.change_marketingconsent")

    @admin.action(
        description="Withdraw consent (no more marketing email)", permissions=["withdraw"]
    )
    def withdraw(self, request: HttpRequest, queryset: QuerySet[MarketingConsent]) -> None:
        emails = list(
            queryset.exclude(status=MarketingConsent.Status.WITHDRAWN).values_list(
                "email", flat=True
            )
        )
        for email in emails:
            consent_withdraw(email=email, via="back office")
        self.message_user(
            request, f"Withdrew the consent of {len(emails)} address(es).", messages.SUCCESS
        )
