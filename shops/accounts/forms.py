"""Forms of the staff pages: accepting an invitation, inviting, changing a role."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from shops.accounts.models import Invitation, User
from shops.accounts.roles import ROLE_HELP, Role
from shops.accounts.services import invitation_create


class InvitationAcceptForm(SetPasswordForm):
    """The invited person's name and password (Django's password validators apply)."""

    full_name = forms.CharField(label="Your name", max_length=150, required=False)
    field_order = ("full_name", "new_password1", "new_password2")

    def __init__(self, invitation: Invitation, *args: object, **kwargs: object) -> None:
        # the validators compare the password with the address: an unsaved account
        super().__init__(User(email=invitation.email), *args, **kwargs)
        self.fields["new_password1"].label = "Choose a password"
        self.fields["new_password2"].label = "Confirm the password"


def _role_help_text() -> str:
    return " ".join(f"{Role(role).label}: {text}" for role, text in ROLE_HELP.items())


class InvitationForm(forms.ModelForm):
    """Invites through ``invitation_create`` in ``clean()``, so what the service refuses
    shows on the form; ``request`` is set per request by the admin."""

    request: HttpRequest | None = None
    role = forms.ChoiceField(
        choices=Role.choices, initial=Role.STAFF, widget=forms.RadioSelect, help_text=""
    )

    class Meta:
        model = Invitation
        fields = ("email", "role")
        help_texts = {"email": "We email them a link to choose their password (valid 7 days)."}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].help_text = _role_help_text()

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors:
            try:
                self.created = invitation_create(
                    email=cleaned["email"],
                    role=cleaned["role"],
                    invited_by=self.request.user if self.request else None,
                    request=self.request,
                )
            except ValidationError as exc:
                for field, errors in exc.error_dict.items():
                    self.add_error(field, errors)
        return cleaned

    def save(self, commit: bool = True) -> Invitation:
        self.save_m2m = lambda: None  # made by the service in clean()
        return self.created


class StaffChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("role", "is_active")
        labels = {"is_active": "May sign in"}
        help_texts = {"role": _role_help_text()}
