from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from guichet.accounts import services
from guichet.accounts.models import Consent, Household, HouseholdMember, Person, User


class PersonInline(admin.StackedInline):
    model = Person
    can_delete = False
    fields = ["first_name", "last_name", "birth_date", "phone", "contact_channel"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "role", "is_active", "email_verified_at", "date_joined"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "person__last_name", "person__first_name"]
    readonly_fields = ["date_joined", "last_login", "email_verified_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Rôle", {"fields": ["role", "is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["date_joined", "last_login", "email_verified_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "role", "password1", "password2"]})]
    inlines = [PersonInline]

    def save_model(self, request, obj, form, change):
        # Role changes go through the service so that they are audited.
        new_role = obj.role
        if change and "role" in form.changed_data:
            obj.role = form.initial["role"]
        super().save_model(request, obj, form, change)
        if change and "role" in form.changed_data:
            services.user_role_set(user=obj, role=new_role, by=request.user)


class HouseholdMemberInline(admin.TabularInline):
    model = HouseholdMember
    extra = 0


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["person", "commune_insee", "housing"]
    inlines = [HouseholdMemberInline]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "contact_channel"]
    search_fields = ["last_name", "first_name"]


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["person", "purpose", "given_at", "withdrawn_at"]
    list_filter = ["purpose"]
