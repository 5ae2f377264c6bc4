"""Django admin for platform superusers. Admin reads across cooperatives, so every
queryset here is explicitly ``unscoped``."""

from django.contrib import admin

from hoptac.coops.models import Cooperative, Member, MemberGroup, Village
from hoptac.core.tenancy import tenant


class UnscopedAdmin(admin.ModelAdmin):
    """Lists rows of every cooperative; edits one row inside its own cooperative's scope,
    so related choices and uniqueness checks stay within that cooperative. New rows are
    added in the application, where the cooperative is known."""

    def get_queryset(self, request):
        return self.model.unscoped.get_queryset()

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        obj = self.get_object(request, object_id) if object_id else None
        if obj is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with tenant(obj.cooperative):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()
            return response


@admin.register(Cooperative)
class CooperativeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "commune_code", "is_active", "created_at"]
    list_filter = ["kind", "is_active", "province_code"]
    search_fields = ["name", "slug", "tax_code"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Member)
class MemberAdmin(UnscopedAdmin):
    list_display = ["full_name", "cooperative", "phone", "commune_code", "status", "joined_on"]
    list_filter = ["cooperative", "status", "member_type", "ethnicity"]
    search_fields = ["full_name", "phone", "search_text"]
    raw_id_fields = ["village"]
    filter_horizontal = ["groups"]
    readonly_fields = ["uuid", "search_text"]


@admin.register(Village)
class VillageAdmin(UnscopedAdmin):
    list_display = ["name", "cooperative", "commune_code"]
    list_filter = ["cooperative"]
    search_fields = ["name"]


@admin.register(MemberGroup)
class MemberGroupAdmin(UnscopedAdmin):
    list_display = ["name", "cooperative", "kind"]
    list_filter = ["cooperative", "kind"]
