"""The owner's "Data retention" settings: one row per shop, its form under Settings."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from shops.retention.models import RetentionPolicy
from shops.retention.services import FIELDS, retention_policy_stored, retention_policy_update


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    fields = FIELDS
    readonly_fields = ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one row, made on first visit

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        policy = retention_policy_stored()
        return HttpResponseRedirect(
            reverse("admin:retention_retentionpolicy_change", args=[policy.pk])
        )

    def save_model(self, request: HttpRequest, obj: RetentionPolicy, form, change: bool) -> None:
        retention_policy_update(policy=obj, **{field: form.cleaned_data[field] for field in FIELDS})

    def response_change(self, request: HttpRequest, obj: RetentionPolicy):
        self.message_user(request, "Your retention policy is saved; the nightly run applies it.")
        return HttpResponseRedirect(
            reverse("admin:retention_retentionpolicy_change", args=[obj.pk])
        )
