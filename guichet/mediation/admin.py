from django.contrib import admin

from guichet.mediation.models import Authorization, ConsentCode, Mandate, Membership, Organisation, TakeoverCode


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "place", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    inlines = [MembershipInline]


class AuthorizationInline(admin.TabularInline):
    model = Authorization
    extra = 0
    fields = ["family", "revoked_at", "revoked_by_kind"]
    readonly_fields = fields
    can_delete = False


class ConsentCodeInline(admin.TabularInline):
    model = ConsentCode
    extra = 0
    fields = ["channel", "created_at", "expires_at", "attempts", "used_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Mandate)
class MandateAdmin(admin.ModelAdmin):
    """Read-only: mandates change only through the services, which journal every change."""

    list_display = ["public_id", "organisation", "consent_method", "starts_at", "expires_at", "revoked_at"]
    list_filter = ["organisation", "consent_method"]
    inlines = [AuthorizationInline, ConsentCodeInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TakeoverCode)
class TakeoverCodeAdmin(admin.ModelAdmin):
    list_display = ["person", "created_at", "expires_at", "attempts", "used_at"]
    exclude = ["code_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
