import datetime
import re

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.accounts.enums import Role
from guichet.accounts.forms import DateInput
from guichet.accounts.models import User
from guichet.mediation.enums import CodeChannel, ConsentMethod, Duration, Family, IdentityDocument
from guichet.mediation.models import Organisation
from guichet.mediation.services import normalise_document_end


def _past(value: datetime.date) -> None:
    if value > timezone.localdate():
        raise forms.ValidationError(_("Cette date est dans le futur."))
    if value.year < 1900:
        raise forms.ValidationError(_("Cette date est trop ancienne."))


class MandateFieldsMixin(forms.Form):
    """The organisation (among the mediator's), the families and the duration of a mandate."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), empty_label=None
    )
    families = forms.MultipleChoiceField(
        label=_("Démarches que la personne vous confie"),
        choices=Family.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins une famille de démarches.")},
    )
    duration = forms.ChoiceField(
        label=_("Durée du mandat"),
        choices=Duration.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez une durée.")},
    )

    def __init__(self, *args, mediator: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.of_mediator(mediator)


class PersonRecordForm(MandateFieldsMixin):
    """A person with no email and no account: their record, reached by post, and an in-person mandate."""

    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        widget=DateInput(),
        validators=[_past],
        help_text=_("Elle lui sera demandée pour reprendre son compte."),
    )
    address_line = forms.CharField(label=_("Adresse"), max_length=250)
    postal_code = forms.CharField(
        label=_("Code postal"),
        max_length=5,
        validators=[RegexValidator(r"^\d{5}$", _("Le code postal compte 5 chiffres."))],
        widget=forms.TextInput({"inputmode": "numeric"}),
    )
    city = forms.CharField(label=_("Ville"), max_length=150)
    phone = forms.CharField(
        label=_("Téléphone"),
        max_length=20,
        required=False,
        widget=forms.TextInput({"inputmode": "tel"}),
    )

    field_order = [
        "first_name",
        "last_name",
        "birth_date",
        "address_line",
        "postal_code",
        "city",
        "phone",
        "organisation",
        "families",
        "duration",
    ]


class MandateForm(MandateFieldsMixin):
    """A mandate for a person who already has an account, found by its email address.

    Such a person gives their consent themselves: from their account, or with a code sent to them. Signing at the
    counter is for people without an account (``PersonRecordForm``).
    """

    email = forms.EmailField(label=_("Adresse électronique du compte de la personne"))
    consent_method = forms.ChoiceField(
        label=_("Comment la personne donne son consentement"),
        choices=[(m.value, m.label) for m in (ConsentMethod.REMOTE_ACCOUNT, ConsentMethod.REMOTE_CODE)],
        widget=forms.RadioSelect,
        help_text=_(
            "Dans les deux cas, la personne est prévenue et voit la demande dans son compte, où elle peut "
            "l'accepter ou la refuser."
        ),
        error_messages={
            "required": _("Choisissez comment la personne donne son consentement."),
            "invalid_choice": _(
                "Une personne qui a un compte donne son accord depuis son compte ou avec un code qu'elle reçoit."
            ),
        },
    )

    field_order = ["email", "organisation", "families", "duration", "consent_method"]

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email__iexact=email, role=Role.CITIZEN, person__isnull=False).first()
        if user is None:
            raise forms.ValidationError(
                _("Aucun compte usager avec cette adresse. Pour une personne sans compte, créez son dossier.")
            )
        self.person = user.person
        return email


class ActingForm(forms.Form):
    family = forms.ChoiceField(label=_("Démarches à faire maintenant"), choices=(), widget=forms.RadioSelect)

    def __init__(self, *args, families: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["family"].choices = [(family, Family(family).label) for family in families]


class SignedForm(forms.Form):
    """A person without an account signed the printed mandate, after the mediator checked an identity document."""

    identity_document = forms.ChoiceField(
        label=_("Pièce d'identité vérifiée"),
        choices=IdentityDocument.checkable,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez la pièce d'identité que vous avez vérifiée.")},
    )
    identity_document_end = forms.CharField(
        label=_("4 derniers caractères du numéro de la pièce"),
        help_text=_("Seulement les 4 derniers : le numéro entier n'est jamais enregistré."),
        max_length=20,  # room for a whole number typed by mistake, refused below rather than cut by the browser
        widget=forms.TextInput({"autocomplete": "off", "autocapitalize": "characters", "size": "6"}),
        error_messages={"required": _("Saisissez les 4 derniers caractères du numéro de la pièce.")},
    )
    signed = forms.BooleanField(
        label=_("La personne a lu et signé le mandat imprimé ; je le conserve."),
        error_messages={"required": _("Cochez la case une fois le mandat signé.")},
    )

    def clean_identity_document_end(self) -> str:
        end = normalise_document_end(self.cleaned_data["identity_document_end"])
        if not re.fullmatch(r"[0-9A-Z]{4}", end):
            # What was typed may be a whole document number: it is not shown back.
            self.data = self.data.copy()
            self.data[self.add_prefix("identity_document_end")] = ""
            raise forms.ValidationError(
                _(
                    "Saisissez les 4 derniers caractères du numéro de la pièce (lettres ou chiffres), "
                    "jamais le numéro entier."
                )
            )
        return end


class CodeSendForm(forms.Form):
    channel = forms.ChoiceField(label=_("Envoyer le code par"), choices=CodeChannel.choices, widget=forms.RadioSelect)


class CodeCheckForm(forms.Form):
    code = forms.CharField(
        label=_("Code lu par la personne"),
        max_length=12,
        widget=forms.TextInput({"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class TakeoverForm(forms.Form):
    code = forms.CharField(
        label=_("Code de reprise"),
        max_length=20,
        help_text=_(
            "Les 12 caractères imprimés sur la lettre remise par votre médiateur, par exemple ABCD-EFGH-JKMN."
        ),
        widget=forms.TextInput({"autocomplete": "off", "autocapitalize": "characters"}),
    )
    birth_date = forms.DateField(label=_("Votre date de naissance"), widget=DateInput(), validators=[_past])
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
