"""Staff accounts live in each shop's schema: a login works only on its own shop's host."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone

from shops.accounts.roles import Role, role_allows, role_opens_app


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(
        self, email: str, password: str | None, *, password_hash: str | None = None, **fields
    ) -> User:
        """``password_hash``: a hash the caller made ahead (``make_password``), so slow
        hashing can stay outside the caller's transaction."""
        if not email:
            raise ValueError("A staff account needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password_hash is not None:
            user.password = password_hash
        else:
            user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True, role=Role.OWNER)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Can log into this shop's admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    role = models.CharField(
        max_length=10,
        choices=Role.choices,
        default=Role.STAFF,
        help_text="Owner: everything. Staff: runs the shop, not the owner's settings. "
        "Read-only: sees, changes nothing.",
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "staff account"
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    # The admin and the API ask these: permissions come from the role, not from
    # Django's per-user permission rows (an owner is also a superuser).
    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_active and self.is_staff and role_allows(self.role, perm)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and self.is_staff and role_opens_app(self.role, app_label)

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER and self.is_superuser

    @property
    def is_read_only(self) -> bool:
        return self.role == Role.READ_ONLY


class Invitation(models.Model):
    """An email invited to join the shop's staff with ``role``; the emailed link (signed,
    see ``shops.accounts.services``) lets them choose a password until ``expires_at``."""

    email = models.EmailField("email address")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    @property
    def state(self) -> str:
        if self.accepted_at is not None:
            return "Accepted"
        if self.revoked_at is not None:
            return "Withdrawn"
        return "Pending" if self.expires_at > timezone.now() else "Expired"
