from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guichet.accounts import otp, services
from guichet.accounts.models import (
    VERIFIED_IDENTITY_FIELDS,
    Consent,
    Household,
    HouseholdMember,
    OidcIdentity,
    Person,
    StaffEnrolmentLink,
    User,
)
from guichet.accounts.permissions import needs_second_factor
from guichet.core.models import RateCounter


class VerifiedIdentityReadOnly:
    """Identity certified by FranceConnect is read-only for agents and admins too."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        person = obj if isinstance(obj, Person) else getattr(obj, "person", None)
        if person is not None and person.identity_verified:
            fields += [f for f in VERIFIED_IDENTITY_FIELDS if f not in fields]
        return fields


class PersonInline(VerifiedIdentityReadOnly, admin.StackedInline):
    model = Person
    can_delete = False
    fields = ["first_name", "last_name", "birth_date", "birth_place", "phone", "contact_channel"]


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
    actions = ["send_enrolment_link", "reset_second_factor"]

    def _for_staff(self, request, queryset, service) -> int:
        """Run ``service`` on each staff account selected; say which accounts were left out, and why."""
        done = skipped = 0
        for user in queryset:
            if not needs_second_factor(user):
                skipped += 1
                continue
            try:
                service(user=user, by=request.user)
            except OSError:  # the mail server refused or could not be reached: nothing was recorded
                self.message_user(
                    request,
                    _("Le courriel n'a pas pu être envoyé à %(email)s. Réessayez plus tard.") % {"email": user.email},
                    messages.ERROR,
                )
            else:
                done += 1
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d compte laissé de côté : seul le personnel a un second facteur.",
                    "%(count)d comptes laissés de côté : seul le personnel a un second facteur.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
        return done

    @admin.action(description=_("Envoyer un lien d'activation du second facteur"))
    def send_enrolment_link(self, request, queryset):
        count = self._for_staff(request, queryset, otp.enrolment_link_send)
        if count:
            self.message_user(
                request,
                ngettext(
                    "Lien d'activation du second facteur envoyé par courriel à %(count)d compte.",
                    "Liens d'activation du second facteur envoyés par courriel à %(count)d comptes.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )

    @admin.action(description=_("Réinitialiser le second facteur (téléphone perdu)"))
    def reset_second_factor(self, request, queryset):
        count = self._for_staff(request, queryset, otp.otp_devices_reset)
        if count:
            self.message_user(
                request,
                ngettext(
                    "Second facteur réinitialisé pour %(count)d compte : un lien d'activation lui a été envoyé par "
                    "courriel.",
                    "Second facteur réinitialisé pour %(count)d comptes : un lien d'activation a été envoyé à "
                    "chacun par courriel.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )

    def save_model(self, request, obj, form, change):
        # Role changes go through the service so that they are audited.
        new_role = obj.role
        if change and "role" in form.changed_data:
            obj.role = form.initial["role"]
        super().save_model(request, obj, form, change)
        if change and "role" in form.changed_data:
            services.user_role_set(user=obj, role=new_role, by=request.user)


class HouseholdMemberInline(admin.StackedInline):
    model = HouseholdMember
    extra = 0
    fieldsets = [
        (None, {"fields": ["position", "relationship", "first_name", "birth_date", "situation"]}),
        (
            _("Si cela le concerne"),
            {
                "fields": [
                    "disability_rate",
                    "employment_restriction",
                    "school_level",
                    "unemployed_since",
                    "self_employed_activity",
                ]
            },
        ),
    ]


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["person", "commune_insee", "housing", "shared_tenancy"]
    list_filter = ["housing", "shared_tenancy"]
    fieldsets = [
        (None, {"fields": ["person", "commune_insee"]}),
        (_("Logement"), {"fields": ["housing", "monthly_rent", "shared_tenancy"]}),
        (_("Impôts"), {"fields": ["last_year_taxable_income", "taxable_income_two_years_ago"]}),
        (_("Aides déjà perçues"), {"fields": ["already_received"]}),
    ]
    inlines = [HouseholdMemberInline]


@admin.register(Person)
class PersonAdmin(VerifiedIdentityReadOnly, admin.ModelAdmin):
    list_display = ["last_name", "first_name", "contact_channel"]
    search_fields = ["last_name", "first_name"]


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["person", "purpose", "given_at", "withdrawn_at"]
    list_filter = ["purpose"]


@admin.register(OidcIdentity)
class OidcIdentityAdmin(admin.ModelAdmin):
    list_display = ["user", "issuer", "last_login_at"]
    readonly_fields = ["user", "issuer", "subject", "last_login_at"]

    def has_add_permission(self, request):
        return False


@admin.register(StaffEnrolmentLink)
class StaffEnrolmentLinkAdmin(admin.ModelAdmin):
    """Read-only: links are created by the actions on accounts, and their tokens are never shown."""

    list_display = ["user", "created_at", "expires_at", "used_at", "created_by"]
    list_filter = ["used_at"]
    search_fields = ["user__email"]
    fields = ["user", "created_at", "expires_at", "used_at", "created_by"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# What each limit counts, for the ones an administrator is asked to lift; the others show their code.
RATE_SCOPES = {
    "login": _("Connexion : ce compte depuis cette adresse"),
    "login-account": _("Connexion : ce compte, toutes adresses"),
    "otp": _("Second facteur"),
    "password-reset": _("Mot de passe oublié : ce compte"),
    "password-reset-ip": _("Mot de passe oublié : cette adresse"),
    "register": _("Inscription : cette adresse"),
}


class LockedFilter(admin.SimpleListFilter):
    title = _("état")
    parameter_name = "bloque"

    def lookups(self, request, model_admin):
        return [("oui", _("bloqué"))]

    def queryset(self, request, queryset):
        return queryset.locked() if self.value() == "oui" else queryset


@admin.register(RateCounter)
class RateCounterAdmin(admin.ModelAdmin):
    """The counters of rate limits and locks whose window is still open; lifting one deletes it, journaled."""

    list_display = ["what", "label", "count", "limit", "locked", "opened_at", "expires_at"]
    list_filter = [LockedFilter, "scope"]
    search_fields = ["label"]
    ordering = ["-opened_at"]
    fields = ["scope", "label", "count", "limit", "opened_at", "expires_at"]
    readonly_fields = fields
    actions = ["lift"]

    def get_queryset(self, request):
        return super().get_queryset(request).live()

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deleting is lifting: through the action, journaled
        return actions

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("limite"), ordering="scope")
    def what(self, counter: RateCounter) -> str:
        return str(RATE_SCOPES.get(counter.scope, counter.scope))

    @admin.display(description=_("bloqué"), boolean=True)
    def locked(self, counter: RateCounter) -> bool:
        return counter.is_locked

    @admin.action(description=_("Lever le blocage"), permissions=["delete"])
    def lift(self, request, queryset):
        counters = list(queryset)
        for counter in counters:
            services.rate_counter_lift(counter=counter, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d compteur remis à zéro.", "%(count)d compteurs remis à zéro.", len(counters))
            % {"count": len(counters)},
            messages.SUCCESS,
        )

    def delete_model(self, request, obj):
        services.rate_counter_lift(counter=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for counter in queryset:
            services.rate_counter_lift(counter=counter, by=request.user)
