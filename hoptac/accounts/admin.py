from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from hoptac.accounts.forms import AdminLoginForm
from hoptac.accounts.models import AllianceOfficer, LoginFailure, Membership, PasswordResetCode, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["cooperative", "member"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Households are scoped per cooperative; the platform admin picks across them,
        # so this is an explicit unscoped read.
        if db_field.name == "member":
            kwargs["queryset"] = db_field.remote_field.model.unscoped.all()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["phone", "email"]
    list_display = ["phone", "email", "full_name", "is_active", "is_superuser", "date_joined"]
    search_fields = ["phone", "email", "full_name"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("phone", "email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "language")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("phone", "email", "full_name", "password1", "password2")}),
    )


@admin.register(AllianceOfficer)
class AllianceOfficerAdmin(admin.ModelAdmin):
    list_display = ["user", "province_code", "created_at"]
    raw_id_fields = ["user"]


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ["kind", "identifier", "ip_address", "at"]
    list_filter = ["kind"]
    readonly_fields = ["kind", "identifier", "ip_address", "at"]


# The admin signs in through the site's limiter (accounts/limiter.py), never on its own.
admin.site.login_form = AdminLoginForm


@admin.register(PasswordResetCode)
class PasswordResetCodeAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "expires_at", "tries", "used_at", "sent_by"]
    readonly_fields = [
        "user",
        "code_hash",
        "created_at",
        "expires_at",
        "tries",
        "used_at",
        "ip_address",
        "sent_by",
    ]
    raw_id_fields = ["user"]
