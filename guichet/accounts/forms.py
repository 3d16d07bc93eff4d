import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from guichet.accounts.enums import (
    LEGACY_RESOURCE_KINDS,
    RENTING,
    ConsentPurpose,
    Housing,
    Relationship,
    ResourceKind,
    SchoolLevel,
    SelfEmployedActivity,
    Situation,
)
from guichet.accounts.models import VERIFIED_IDENTITY_FIELDS, Person, insee_validator

MAX_MEMBERS = 12
MAX_AMOUNT = Decimal("1000000")
BLANK = [("", "—")]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _not_in_future(value: datetime.date) -> None:
    if value > timezone.localdate():
        raise forms.ValidationError(_("Cette date est dans le futur."))
    if value.year < 1900:
        raise forms.ValidationError(_("Cette date est trop ancienne."))


class MoneyField(forms.DecimalField):
    """An amount in euros as people type it: "1 450,50", "1450.5" or "1 450 €" all work."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("€", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "").strip()
            value = value.replace(",", ".")
        return super().to_python(value)


def money_field(label: str, required: bool = False) -> forms.DecimalField:
    return MoneyField(
        label=label,
        required=required,
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_AMOUNT,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class RegistrationForm(forms.Form):
    first_name = forms.CharField(
        label=_("Prénom"), max_length=150, widget=forms.TextInput({"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Nom"), max_length=150, widget=forms.TextInput({"autocomplete": "family-name"})
    )
    email = forms.EmailField(label=_("Adresse électronique"), widget=forms.EmailInput({"autocomplete": "email"}))
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
        help_text=_("Au moins 12 caractères. Évitez les mots de passe trop courants."),
    )
    password_confirm = forms.CharField(
        label=_("Confirmez le mot de passe"), strip=False, widget=forms.PasswordInput({"autocomplete": "new-password"})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_confirm"):
            self.add_error("password_confirm", _("Les deux mots de passe ne sont pas identiques."))
        return cleaned


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("Adresse électronique"), widget=forms.EmailInput({"autocomplete": "email"}))
    password = forms.CharField(
        label=_("Mot de passe"), strip=False, widget=forms.PasswordInput({"autocomplete": "current-password"})
    )


class OtpForm(forms.Form):
    code = forms.CharField(
        label=_("Code à usage unique"),
        max_length=20,
        help_text=_("Les 6 chiffres affichés par votre application, ou l'un de vos codes de secours."),
        widget=forms.TextInput({"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class ResendVerificationForm(forms.Form):
    email = forms.EmailField(label=_("Adresse électronique"), widget=forms.EmailInput({"autocomplete": "email"}))


class ProfileForm(forms.ModelForm):
    birth_date = forms.DateField(
        label=_("Date de naissance"), required=False, widget=DateInput(), validators=[_not_in_future]
    )

    class Meta:
        model = Person
        fields = [
            "first_name",
            "last_name",
            "birth_date",
            "phone",
            "address_line",
            "postal_code",
            "city",
            "preferred_language",
            "contact_channel",
        ]
        widgets = {
            "first_name": forms.TextInput({"autocomplete": "given-name"}),
            "last_name": forms.TextInput({"autocomplete": "family-name"}),
            "phone": forms.TextInput({"autocomplete": "tel", "inputmode": "tel"}),
            "address_line": forms.TextInput({"autocomplete": "street-address"}),
            "postal_code": forms.TextInput({"autocomplete": "postal-code", "inputmode": "numeric"}),
            "city": forms.TextInput({"autocomplete": "address-level2"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.identity_verified:
            # Certified by the identity provider: shown, never taken from the posted data.
            for name in VERIFIED_IDENTITY_FIELDS:
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _("Vérifié par FranceConnect : ne peut pas être modifié ici.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("contact_channel") == "postal" and not (
            cleaned.get("address_line") and cleaned.get("postal_code") and cleaned.get("city")
        ):
            self.add_error("address_line", _("Pour recevoir des courriers, indiquez votre adresse complète."))
        if cleaned.get("contact_channel") == "sms" and not cleaned.get("phone"):
            self.add_error("phone", _("Pour recevoir des SMS, indiquez votre numéro de téléphone."))
        return cleaned


# Household form, step by step. Each step form reads and writes one part of the draft's data.


class HousingForm(forms.Form):
    commune_insee = forms.ChoiceField(label=_("Commune de résidence"))
    housing = forms.ChoiceField(label=_("Vous êtes"), choices=Housing.choices, widget=forms.RadioSelect)
    monthly_rent = money_field(_("Loyer mensuel hors charges (en euros)"))
    monthly_rent.help_text = _(
        "Pour les locataires : le loyer sans les charges, tel qu'il figure sur votre bail ou sur votre quittance "
        "de loyer."
    )
    shared_tenancy = forms.BooleanField(label=_("Vous vivez en colocation"), required=False)
    shared_tenancy.help_text = _(
        "Pour les locataires : vous partagez le logement avec des personnes qui ne font pas partie de votre foyer."
    )

    def __init__(self, *args, communes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune_insee"].choices = [("", _("Choisissez votre commune"))] + communes
        self.fields["commune_insee"].validators.append(insee_validator)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("housing") in RENTING and cleaned.get("monthly_rent") in (None, ""):
            self.add_error("monthly_rent", _("Indiquez le montant de votre loyer."))
        return cleaned

    def to_data(self) -> dict:
        """``commune_insee``, ``housing``, ``monthly_rent`` (a string, tenants only) and ``shared_tenancy``."""
        renting = self.cleaned_data["housing"] in RENTING
        rent = self.cleaned_data.get("monthly_rent")
        return {
            "commune_insee": self.cleaned_data["commune_insee"],
            "housing": self.cleaned_data["housing"],
            "monthly_rent": str(rent) if rent is not None and renting else None,
            "shared_tenancy": bool(self.cleaned_data.get("shared_tenancy")) and renting,
        }


class PercentField(forms.IntegerField):
    """A whole percentage as people type it: "80", "80 %" or "80%" all work."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("%", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "").strip()
        return super().to_python(value)


# Children from this age are asked their class (school is compulsory from 3).
SCHOOL_AGE = 3


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    years = day.year - birth_date.year
    return years - ((day.month, day.day) < (birth_date.month, birth_date.day))


class SelfMemberForm(forms.Form):
    """The person filling in the form, always the first member of the household.

    After who the person is come the questions that concern only some people (``DETAIL_FIELDS``), shown together
    under their own legend.
    """

    first_name = forms.CharField(label=_("Votre prénom"), max_length=150)
    birth_date = forms.DateField(label=_("Votre date de naissance"), widget=DateInput(), validators=[_not_in_future])
    situation = forms.ChoiceField(label=_("Votre situation"), choices=BLANK + Situation.choices)
    disability_rate = PercentField(
        label=_("Taux d'incapacité reconnu par la MDPH (en %)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("Il figure sur la notification de décision de la MDPH. Laissez vide si aucun taux n'a été fixé."),
        error_messages={
            "invalid": _("Indiquez le taux en chiffres, par exemple 80."),
            "min_value": _("Le taux d'incapacité est un pourcentage compris entre 0 et 100."),
            "max_value": _("Le taux d'incapacité est un pourcentage compris entre 0 et 100."),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    employment_restriction = forms.BooleanField(
        label=_("La MDPH a reconnu une restriction substantielle et durable d'accès à l'emploi"),
        required=False,
        help_text=_("Cochez si la notification de la MDPH le mentionne (on parle aussi de « RSDAE »)."),
    )
    school_level = forms.ChoiceField(
        label=_("Classe ou études suivies cette année"),
        required=False,
        choices=BLANK + SchoolLevel.choices,
        help_text=_("Obligatoire pour un enfant de 3 ans ou plus : choisissez « Pas scolarisé » s'il ne l'est pas."),
    )
    unemployed_since = forms.DateField(
        label=_("Sans emploi depuis le"),
        required=False,
        widget=DateInput(),
        validators=[_not_in_future],
        help_text=_("Pour un demandeur d'emploi : le premier jour sans emploi."),
    )
    self_employed_activity = forms.ChoiceField(
        label=_("Activité de la micro-entreprise"),
        required=False,
        choices=BLANK + SelfEmployedActivity.choices,
        help_text=_("Obligatoire pour un travailleur indépendant : son activité principale."),
    )

    DETAIL_FIELDS = (
        "disability_rate",
        "employment_restriction",
        "school_level",
        "unemployed_since",
        "self_employed_activity",
    )

    def main_fields(self) -> list[forms.BoundField]:
        """Who the person is: asked of everyone."""
        return [field for field in self if field.name not in self.DETAIL_FIELDS and field.name != "DELETE"]

    def detail_fields(self) -> list[forms.BoundField]:
        """The questions that concern only some people (disability, school, unemployment, micro-enterprise)."""
        return [self[name] for name in self.DETAIL_FIELDS]

    def other_fields(self) -> list[forms.BoundField]:
        """What comes after the questions (a formset's "Supprimer")."""
        return [field for field in self if field.name == "DELETE"]

    def member_relationship(self) -> str:
        return Relationship.SELF.value

    def clean(self):
        cleaned = super().clean()
        situation, birth_date = cleaned.get("situation"), cleaned.get("birth_date")

        def missing(name: str) -> bool:
            """Not given, and not already refused for another reason."""
            return cleaned.get(name) in (None, "") and not self.has_error(name)

        if situation == Situation.DISABLED and missing("disability_rate"):
            self.add_error("disability_rate", _("Indiquez le taux d'incapacité reconnu par la MDPH."))
        school_age = birth_date is not None and age_on(birth_date, timezone.localdate()) >= SCHOOL_AGE
        if self.member_relationship() == Relationship.CHILD and school_age and missing("school_level"):
            self.add_error(
                "school_level", _("Indiquez la classe de l'enfant, ou « Pas scolarisé » s'il ne l'est pas.")
            )
        if situation == Situation.SELF_EMPLOYED and missing("self_employed_activity"):
            self.add_error("self_employed_activity", _("Indiquez l'activité de la micro-entreprise."))
        since = cleaned.get("unemployed_since")
        if since is not None and birth_date is not None and since < birth_date:
            self.add_error("unemployed_since", _("Cette date est avant la date de naissance."))
        return cleaned

    def to_data(self) -> dict:
        data = self.cleaned_data
        since = data.get("unemployed_since")
        return {
            "relationship": self.member_relationship(),
            "first_name": data["first_name"],
            "birth_date": data["birth_date"].isoformat(),
            "situation": data["situation"],
            "disability_rate": data.get("disability_rate"),
            "employment_restriction": bool(data.get("employment_restriction")),
            "school_level": data.get("school_level") or "",
            "unemployed_since": since.isoformat() if since else None,
            "self_employed_activity": data.get("self_employed_activity") or "",
        }


class MemberForm(SelfMemberForm):
    relationship = forms.ChoiceField(
        label=_("Lien avec vous"), choices=BLANK + [c for c in Relationship.choices if c[0] != Relationship.SELF]
    )
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    birth_date = forms.DateField(label=_("Date de naissance"), widget=DateInput(), validators=[_not_in_future])
    situation = forms.ChoiceField(label=_("Situation"), choices=BLANK + Situation.choices)
    field_order = ["relationship", "first_name", "birth_date", "situation", *SelfMemberForm.DETAIL_FIELDS]

    def member_relationship(self) -> str:
        return self.cleaned_data.get("relationship", "")


class BaseMemberFormSet(forms.BaseFormSet):
    """The other people living with the person (partner, children, others)."""

    def kept_forms(self) -> list[MemberForm]:
        return [form for form in self.forms if form.has_changed() and not self._should_delete_form(form)]

    def clean(self):
        if any(self.errors):
            return
        partners = [f for f in self.kept_forms() if f.cleaned_data.get("relationship") == Relationship.PARTNER]
        if len(partners) > 1:
            raise forms.ValidationError(_("Un foyer ne peut compter qu'un seul conjoint ou partenaire."))

    def to_data(self) -> list[dict]:
        return [form.to_data() for form in self.kept_forms()]


MemberFormSet = forms.formset_factory(
    MemberForm, formset=BaseMemberFormSet, extra=0, can_delete=True, max_num=MAX_MEMBERS - 1, validate_max=True
)


def member_formset(post, members: list[dict], *, extra: int = 0) -> BaseMemberFormSet:
    """The formset of the people other than the person (``members[0]``), with ``extra`` empty forms."""
    formset_class = type("MemberFormSetExtra", (MemberFormSet,), {"extra": extra}) if extra else MemberFormSet
    return formset_class(post, initial=members[1:], prefix="members")


def member_formset_plus_one(post, members: list[dict]) -> BaseMemberFormSet:
    """The submitted formset with one more empty person, keeping everything typed (nothing validated or lost)."""
    data = post.copy()
    try:
        total = int(data.get("members-TOTAL_FORMS", 0))
    except ValueError:
        total = 0
    data["members-TOTAL_FORMS"] = str(min(max(total, 0) + 1, MemberFormSet.max_num))
    return MemberFormSet(data, initial=members[1:], prefix="members")


def last_twelve_months(today: datetime.date | None = None) -> list[datetime.date]:
    """The twelve calendar months before the current one, oldest first (first day of each)."""
    today = today or timezone.localdate()
    year, month = today.year, today.month
    months = []
    for _i in range(12):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(datetime.date(year, month, 1))
    return list(reversed(months))


# What each kind of resource is, in a few words: shown above the table of the resources step.
RESOURCE_HINTS = {
    ResourceKind.SALARY: _("Le « net à payer avant impôt sur le revenu » de la fiche de paie."),
    ResourceKind.SELF_EMPLOYED: _(
        "Le chiffre d'affaires déclaré à l'Urssaf (pour une déclaration trimestrielle, un tiers chaque mois)."
    ),
    ResourceKind.UNEMPLOYMENT: _("L'allocation d'aide au retour à l'emploi versée par France Travail."),
    ResourceKind.PENSION: _("Les retraites de base et complémentaires, nettes."),
    ResourceKind.DISABILITY_PENSION: _("La pension d'invalidité versée par l'Assurance maladie."),
    ResourceKind.CHILD_SUPPORT: _("La pension alimentaire reçue pour vous ou pour vos enfants."),
    ResourceKind.CHILD_SUPPORT_PAID: _("La pension alimentaire versée à une personne qui ne vit pas avec vous."),
}


class ResourcesForm(forms.Form):
    """Monthly resources by kind, for each member, over the last twelve months: one table per member."""

    @staticmethod
    def kinds() -> list[tuple[str, str, str]]:
        """(kind, label, hint) of each column, in order."""
        return [(kind, label, RESOURCE_HINTS.get(kind, "")) for kind, label in ResourceKind.choices]

    def __init__(self, *args, members: list[dict], months: list[datetime.date], **kwargs):
        super().__init__(*args, **kwargs)
        self.members = []
        for index, member in enumerate(members):
            rows = []
            for month in months:
                cells = []
                for kind, kind_label in ResourceKind.choices:
                    name = f"r_{index}_{month:%Y-%m}_{kind}"
                    self.fields[name] = money_field(
                        _("%(kind)s de %(name)s en %(month)s")
                        % {"kind": kind_label, "name": member["first_name"], "month": date_format(month, "F Y")}
                    )
                    cells.append(name)
                rows.append((month, cells))
            self.members.append({"index": index, "first_name": member["first_name"], "rows": rows})

    def member_tables(self):
        for member in self.members:
            yield {
                "first_name": member["first_name"],
                "rows": [(month, [self[name] for name in cells]) for month, cells in member["rows"]],
            }

    def to_data(self) -> dict:
        data: dict[str, dict[str, dict[str, str]]] = {}
        for name, value in self.cleaned_data.items():
            if value in (None, "") or value == 0:
                continue
            _prefix, index, month, kind = name.split("_", 3)
            data.setdefault(index, {}).setdefault(month, {})[kind] = str(value)
        return data

    @staticmethod
    def initial_from(data: dict) -> dict:
        """The fields' initial values from the draft's resources (a kind that went away counts as its successor)."""
        initial: dict[str, Decimal] = {}
        for index, by_month in data.items():
            for month, by_kind in by_month.items():
                for kind, amount in by_kind.items():
                    name = f"r_{index}_{month}_{LEGACY_RESOURCE_KINDS.get(kind, kind)}"
                    initial[name] = initial.get(name, Decimal(0)) + Decimal(amount)
        return initial


def tax_notice_years(today: datetime.date | None = None) -> dict[str, int]:
    """The years of the two tax notices asked for: this year's (last year's incomes) and last year's."""
    year = (today or timezone.localdate()).year
    return {"last_notice": year, "last_incomes": year - 1, "previous_notice": year - 1, "previous_incomes": year - 2}


class TaxesForm(forms.Form):
    """The revenus fiscaux de référence of the last two tax notices (both optional)."""

    last_year_taxable_income = money_field("")
    taxable_income_two_years_ago = money_field("")

    def __init__(self, *args, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        years = {key: str(value) for key, value in tax_notice_years(today).items()}
        hint = _(
            "Il figure en première page de l'avis d'impôt sur le revenu, dans le cadre « Vos références ». "
            "Laissez vide si vous ne l'avez pas ou ne savez pas."
        )
        last, previous = self.fields["last_year_taxable_income"], self.fields["taxable_income_two_years_ago"]
        last.label = (
            _("Revenu fiscal de référence de votre avis d'impôt %(last_notice)s (revenus %(last_incomes)s), en euros")
            % years
        )
        previous.label = (
            _(
                "Revenu fiscal de référence de votre avis d'impôt %(previous_notice)s (revenus %(previous_incomes)s), "
                "en euros"
            )
            % years
        )
        last.help_text = previous.help_text = hint

    def to_data(self) -> dict:
        """Both amounts as strings, or None when not given."""
        values = {
            name: self.cleaned_data.get(name) for name in ("last_year_taxable_income", "taxable_income_two_years_ago")
        }
        return {name: str(value) if value is not None else None for name, value in values.items()}


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(choices=ConsentPurpose.choices, widget=forms.HiddenInput)
