"""Staff in the owner's admin: the accounts with their roles, and invitations (the only
way in for a new person). Every write goes through ``shops.accounts.services``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from shops.accounts.forms import InvitationForm, StaffChangeForm
from shops.accounts.models import Invitation, User
from shops.accounts.services import invitation_revoke, staff_update


@admin.register(User)
class StaffAdmin(admin.ModelAdmin):
    """The staff list. New people are invited ("Invite someone"), never created here."""

    form = StaffChangeForm
    ordering = ("email",)
    list_display = ("email", "full_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("email", "full_name")
    readonly_fields = ("email", "full_name", "last_login", "date_joined")
    fields = ("email", "full_name", "role", "is_active", "last_login", "date_joined")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # an account is switched off ("May sign in"), its history kept

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "title": "Staff",
            "invite_url": reverse("admin:accounts_invitation_add"),
        }
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        stored = User.objects.get(pk=obj.pk)
        try:
            staff_update(
                user=stored,
                role=form.cleaned_data["role"],
                is_active=form.cleaned_data["is_active"],
                by=request.user,
            )
        except ValidationError as exc:
            obj.refused = " ".join(exc.messages)

    def response_change(self, request: HttpRequest, obj: User) -> HttpResponse:
        refused = getattr(obj, "refused", "")
        if refused:
            messages.error(request, refused)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    form = InvitationForm
    list_display = ("email", "role", "state", "created", "expires_at", "invited_by")
    actions = ["withdraw"]

    def get_fields(self, request: HttpRequest, obj=None):
        return ("email", "role") if obj is None else ("email", "role", "created", "expires_at")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return () if obj is None else ("email", "role", "created", "expires_at")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("invited_by")

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def save_model(self, request: HttpRequest, obj: Invitation, form, change: bool) -> None:
        """The form's clean() invited through the service."""

    def response_add(self, request: HttpRequest, obj: Invitation, post_url_continue=None):
        messages.success(
            request, f"Invitation sent to {obj.email}: the link in it works for 7 days."
        )
        return HttpResponseRedirect(reverse("admin:accounts_invitation_changelist"))

    @admin.display(description="State")
    def state(self, invitation: Invitation) -> str:
        return invitation.state

    @admin.action(description="Withdraw the selected invitations")
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        for invitation in queryset:
            invitation_revoke(invitation=invitation)
        messages.success(request, "Withdrawn: those links no longer work.")
