"""API keys in the merchant's admin: created with the secret shown once, revoked."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from shops.admin_pages import secret_shown_once
from shops.api.models import ApiKey, Scope
from shops.api.services import api_key_create, api_key_revoke


class ApiKeyCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=True,
        help_text="For a read-only key tick only “Read …” scopes: it may read, never change.",
    )

    class Meta:
        model = ApiKey
        fields = ("name", "scopes", "expires_at")

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors:
            try:
                self.created = api_key_create(
                    name=cleaned["name"],
                    scopes=cleaned["scopes"],
                    expires_at=cleaned.get("expires_at"),
                )
            except ValidationError as exc:
                for field, errors in exc.error_dict.items():
                    self.add_error(field, errors)
        return cleaned

    def save(self, commit: bool = True) -> ApiKey:
        self.save_m2m = lambda: None  # created by the service in clean()
        return self.created.api_key


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "prefix",
        "access",
        "scope_list",
        "expires_at",
        "last_used_at",
        "state",
    )
    readonly_fields = (
        "name",
        "prefix",
        "scopes",
        "expires_at",
        "created",
        "last_used_at",
        "revoked_at",
    )
    actions = ["revoke"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyCreateForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "scopes", "expires_at")
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        """The form's clean() created the key through the service."""
        obj.created_secret = form.created.secret  # for response_add, this request only

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue=None):
        return secret_shown_once(
            request,
            admin_site=self.admin_site,
            title=f"API key “{obj.name}” created",
            what="API key",
            secret=obj.created_secret,
            note=f"Scopes: {', '.join(obj.scopes)}. Send it as "
            "“Authorization: Bearer <key>” to this shop's /api/v1/.",
            back_url=reverse("admin:api_apikey_changelist"),
        )

    @admin.display(description="Scopes")
    def scope_list(self, api_key: ApiKey) -> str:
        return ", ".join(api_key.scopes)

    @admin.display(description="Access")
    def access(self, api_key: ApiKey) -> str:
        return "Read-only" if api_key.is_read_only else "Read and write"

    @admin.display(description="State")
    def state(self, api_key: ApiKey) -> str:
        if api_key.is_revoked:
            return "Revoked"
        return "Expired" if api_key.is_expired else "Active"

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        messages.success(request, f"Revoked {queryset.count()} key(s).")

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)
