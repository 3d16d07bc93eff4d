import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from guichet.accounts.enums import RENTING, ConsentPurpose, Housing, Relationship, ResourceKind, Situation
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
    monthly_rent = money_field(_("Loyer mensuel, charges comprises (en euros)"))

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
        data = dict(self.cleaned_data)
        rent = data.get("monthly_rent")
        data["monthly_rent"] = str(rent) if rent is not None and data["housing"] in RENTING else None
        return data


class SelfMemberForm(forms.Form):
    """The person filling in the form, always the first member of the household."""

    first_name = forms.CharField(label=_("Votre prénom"), max_length=150)
    birth_date = forms.DateField(label=_("Votre date de naissance"), widget=DateInput(), validators=[_not_in_future])
    situation = forms.ChoiceField(label=_("Votre situation"), choices=BLANK + Situation.choices)

    def to_data(self) -> dict:
        return {
            "relationship": Relationship.SELF.value,
            "first_name": self.cleaned_data["first_name"],
            "birth_date": self.cleaned_data["birth_date"].isoformat(),
            "situation": self.cleaned_data["situation"],
        }


class MemberForm(SelfMemberForm):
    relationship = forms.ChoiceField(
        label=_("Lien avec vous"), choices=BLANK + [c for c in Relationship.choices if c[0] != Relationship.SELF]
    )
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    birth_date = forms.DateField(label=_("Date de naissance"), widget=DateInput(), validators=[_not_in_future])
    situation = forms.ChoiceField(label=_("Situation"), choices=BLANK + Situation.choices)
    field_order = ["relationship", "first_name", "birth_date", "situation"]

    def to_data(self) -> dict:
        return {**super().to_data(), "relationship": self.cleaned_data["relationship"]}


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


class ResourcesForm(forms.Form):
    """Monthly resources by kind, for each member old enough to have some, over the last twelve months."""

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
        return {
            f"r_{index}_{month}_{kind}": Decimal(amount)
            for index, by_month in data.items()
            for month, by_kind in by_month.items()
            for kind, amount in by_kind.items()
        }


class TaxesForm(forms.Form):
    last_year_taxable_income = money_field(_("Revenu imposable de l'année dernière (en euros)"))
    last_year_taxable_income.help_text = _(
        "Il figure sur votre avis d'impôt, ligne « revenu fiscal de référence ». Laissez vide si vous ne savez pas."
    )

    def to_data(self) -> dict:
        value = self.cleaned_data.get("last_year_taxable_income")
        return {"last_year_taxable_income": str(value) if value is not None else None}


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(choices=ConsentPurpose.choices, widget=forms.HiddenInput)
