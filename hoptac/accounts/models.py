from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hoptac.core.roles import STAFF_ROLES
from hoptac.lib.phone import normalize_phone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, phone, email, password, **extra):
        phone = normalize_phone(phone) if phone else None
        email = self.normalize_email(email).lower() if email else None
        if not phone and not email:
            raise ValueError("A user needs a phone number or an email address.")
        user = self.model(phone=phone, email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, phone=None, password=None, email=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(phone, email, password, **extra)

    def create_superuser(self, phone=None, password=None, email=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(phone, email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(phone=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: with a Vietnamese phone number (preferred) or an email."""

    phone = models.CharField(_("phone"), max_length=11, unique=True, null=True, blank=True)
    email = models.EmailField(_("email"), unique=True, null=True, blank=True)
    full_name = models.CharField(_("full name"), max_length=120, blank=True)
    language = models.CharField(_("language"), max_length=5, default="vi")
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform staff"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(phone__isnull=False) | Q(email__isnull=False),
                name="user_has_phone_or_email",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.phone or self.email or f"#{self.pk}"

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[-1] if self.full_name else str(self)


class Membership(models.Model):
    """A user's role in one cooperative. A user may hold roles in several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    cooperative = models.ForeignKey(
        "coops.Cooperative", on_delete=models.CASCADE, related_name="staff_memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=[(r.value, r.label) for r in STAFF_ROLES])
    member = models.ForeignKey(
        "coops.Member",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The household this account belongs to, for a member's own account."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role in a cooperative")
        verbose_name_plural = _("roles in cooperatives")
        constraints = [models.UniqueConstraint(fields=["user", "cooperative"], name="one_role_per_coop")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.cooperative_id}"


class AllianceOfficer(models.Model):
    """An officer of a provincial cooperative alliance: reads every cooperative of a province."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="alliance_roles")
    province_code = models.PositiveIntegerField(_("province code"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("provincial alliance officer")
        verbose_name_plural = _("provincial alliance officers")
        constraints = [models.UniqueConstraint(fields=["user", "province_code"], name="one_alliance_role")]

    def __str__(self) -> str:
        return f"{self.user} — {self.province_code}"


class LoginFailure(models.Model):
    """One attempt at a way in, kept for a short window to slow down guessing: a sign-in
    (site, admin, API token), a password reset request or a reset code typed in.

    The sign-in limiter (``accounts/limiter.py``) writes the row *before* checking the
    password and counts the rows of the window afterwards, so that concurrent attempts
    cannot all pass one check. Rows of attempts that succeed are deleted, and so are the
    rows of attempts refused by the limiter; what stays are the failures (and, for reset
    requests, the requests). Stored in the database so that every app server process sees
    the same count.
    """

    identifier = models.CharField(max_length=254, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=16, default="login", db_index=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")

    def __str__(self) -> str:
        return f"{self.kind} {self.identifier} {self.at:%Y-%m-%d %H:%M}"


class PasswordResetCode(models.Model):
    """A 6-digit code sent to a user (by SMS, or email) to set a new password.

    Only a keyed hash of the code is stored. A code expires (``HOPTAC_PASSWORD_RESET_MINUTES``),
    is used once, and is burnt after a few wrong tries.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reset_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    sent_by = models.CharField(max_length=8, blank=True)  # sms, email or "" (no way to reach)

    class Meta:
        verbose_name = _("password reset code")
        verbose_name_plural = _("password reset codes")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"
