"""Staff accounts: the sign-in link after signup, password reset tokens, invitations
(signed, expiring links emailed by the worker) and roles."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from shops.accounts.models import Invitation, User
from shops.accounts.roles import ROLE_HELP, Role
from shops.audit.services import audit_record
from shops.queueing import task_queue_on_commit
from shops.selectors import current_shop, shop_url
from shops.tasks import email_send

_SALT = "etalage.accounts.welcome-login"
WELCOME_LINK_MAX_AGE = 120  # seconds


def welcome_token_make(*, user: User) -> str:
    """A signed token for ``user`` in the current shop, dead once used (last_login moves on)."""
    return signing.dumps(
        {
            "user": user.pk,
            "schema": connection.schema_name,
            "last_login": user.last_login.isoformat() if user.last_login else "",
        },
        salt=_SALT,
    )


def welcome_token_user(*, token: str) -> User | None:
    """The user a fresh, unused token from this shop names, else None."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=WELCOME_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("schema") != connection.schema_name:
        return None
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None:
        return None
    last_login = user.last_login.isoformat() if user.last_login else ""
    return user if last_login == data.get("last_login") else None


class ShopPasswordResetTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens, bound to the shop's schema: staff ids start at 1 in every
    shop, so without the schema a token could name another shop's account."""

    key_salt = "etalage.accounts.password-reset"

    def _make_hash_value(self, user: AbstractBaseUser, timestamp: int) -> str:
        return f"{connection.schema_name}:{super()._make_hash_value(user, timestamp)}"


password_reset_tokens = ShopPasswordResetTokenGenerator()


# --- Staff invitations and roles ------------------------------------------------------

_INVITATION_SALT = "etalage.accounts.invitation"
INVITATION_MAX_AGE = timedelta(days=7)


def _email_clean(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            {"email": ValidationError("Enter a valid email address.", code="invalid")}
        ) from None
    return email


def _role_clean(role: str) -> Role:
    if role not in Role.values:
        raise ValidationError(
            {"role": ValidationError("Choose owner, staff or read-only.", code="invalid")}
        )
    return Role(role)


def invitation_token_make(*, invitation: Invitation) -> str:
    """The signed token of the invitation's link, bound to this shop's schema."""
    return signing.dumps(
        {"invitation": invitation.pk, "schema": connection.schema_name}, salt=_INVITATION_SALT
    )


def invitation_for_token(*, token: str) -> Invitation | None:
    """The pending invitation a token of this shop names, else None (tampered, of another
    shop, expired, withdrawn or used)."""
    try:
        data = signing.loads(
            token, salt=_INVITATION_SALT, max_age=INVITATION_MAX_AGE.total_seconds()
        )
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("schema") != connection.schema_name:
        return None
    invitation = Invitation.objects.filter(pk=data.get("invitation")).first()
    return invitation if invitation is not None and invitation.is_pending else None


@transaction.atomic
def invitation_create(
    *, email: str, role: str, invited_by: User | None, request: HttpRequest | None = None
) -> Invitation:
    """Invite ``email`` to the shop's staff with ``role`` and email them the link (sent by
    the worker after the commit). A pending invitation to the same address is withdrawn
    (its link stops working); an address that is staff already is refused."""
    email = _email_clean(email)
    role = _role_clean(role)
    if User.objects.filter(email=email).exists():
        raise ValidationError(
            {
                "email": ValidationError(
                    "This address has a staff account here already; change its role in "
                    "the staff list instead.",
                    code="taken",
                )
            }
        )
    now = timezone.now()
    Invitation.objects.filter(
        email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    invitation = Invitation.objects.create(
        email=email, role=role, invited_by=invited_by, expires_at=now + INVITATION_MAX_AGE
    )
    audit_record(action="staff.invite", target=invitation, changes={"role": (None, role.label)})
    shop = current_shop()
    token = invitation_token_make(invitation=invitation)
    link = f"{shop_url(shop, request)}/admin/invitation/{token}/"
    context = {
        "shop_name": shop.name,
        "inviter": invited_by.get_full_name() if invited_by else shop.name,
        "role": role.label,
        "role_help": ROLE_HELP[role],
        "link": link,
        "days": INVITATION_MAX_AGE.days,
    }
    task_queue_on_commit(
        email_send,
        f"You are invited to the staff of {shop.name}",
        render_to_string("shops/email/staff_invitation.txt", context),
        [email],
    )
    return invitation


def invitation_revoke(*, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation: its link stops working at once."""
    if invitation.is_pending:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(action="staff.invitation_withdraw", target=invitation)
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str, full_name: str = "") -> User:
    """Make the invited person's staff account with ``password`` (already validated by
    the caller's form) and the invitation's role; the link is used up."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError("This invitation was used, withdrawn or has expired.", code="used")
    if User.objects.filter(email=invitation.email).exists():
        raise ValidationError("This address has a staff account here already.", code="taken")
    user = User.objects.create_user(
        invitation.email,
        password,
        full_name=full_name.strip()[:150],
        is_staff=True,
        is_superuser=invitation.role == Role.OWNER,
        role=invitation.role,
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return user


def staff_update(
    *, user: User, role: str | None = None, is_active: bool | None = None, by: User | None = None
) -> User:
    """Change a staff account's role or whether it may sign in. The shop always keeps an
    active owner, and nobody changes their own role or locks themselves out."""
    changes: dict[str, tuple[object, object]] = {}
    if role is not None:
        role = _role_clean(role)
        if role != user.role:
            changes["role"] = (Role(user.role).label, role.label)
    if is_active is not None and is_active != user.is_active:
        changes["active"] = (user.is_active, is_active)
    if not changes:
        return user
    if by is not None and by.pk == user.pk:
        raise ValidationError("You cannot change your own role or lock yourself out.")
    will_be_owner = (role or user.role) == Role.OWNER and (
        is_active if is_active is not None else user.is_active
    )
    with transaction.atomic():
        if user.role == Role.OWNER and not will_be_owner:
            others = (
                User.objects.select_for_update()
                .filter(role=Role.OWNER, is_active=True)
                .exclude(pk=user.pk)
            )
            if not others.exists():
                raise ValidationError("The shop needs an owner: make someone else owner first.")
        if role is not None:
            user.role = role
            user.is_superuser = role == Role.OWNER
        if is_active is not None:
            user.is_active = is_active
        user.save(update_fields=["role", "is_superuser", "is_active"])
        audit_record(action="staff.update", target=user, changes=changes)
    return user
