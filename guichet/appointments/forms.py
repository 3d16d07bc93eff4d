from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.appointments.enums import BookingChannel
from guichet.appointments.models import Agenda, Slot


class SlotForm(forms.Form):
    """The slot chosen in the list of free slots (radio buttons grouped by day, rendered by the template)."""

    slot = forms.UUIDField(
        label=_("Créneau"),
        error_messages={"required": _("Choisissez un créneau."), "invalid": _("Choisissez un créneau de la liste.")},
    )

    def __init__(self, *args, agenda: Agenda, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.agenda = agenda

    def clean_slot(self) -> Slot:
        slot = (
            Slot.objects.filter(agenda=self.agenda, public_id=self.cleaned_data["slot"])
            .select_related("agenda__service", "agenda__place")
            .first()
        )
        if slot is None:
            raise forms.ValidationError(_("Choisissez un créneau de la liste."))
        return slot


class DeskBookingForm(SlotForm):
    """An agent books for a person found by the search, at the desk or on the phone."""

    person = forms.UUIDField(
        error_messages={"required": _("Choisissez une personne."), "invalid": _("Choisissez une personne.")}
    )
    channel = forms.ChoiceField(
        label=_("Demande reçue"),
        choices=[(BookingChannel.DESK, _("au guichet")), (BookingChannel.PHONE, _("par téléphone"))],
        widget=forms.RadioSelect,
        initial=BookingChannel.DESK,
    )


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Nom, prénom ou adresse électronique"),
        min_length=2,
        max_length=100,
        error_messages={"min_length": _("Tapez au moins 2 caractères.")},
    )


class DayForm(forms.Form):
    jour = forms.DateField(
        label=_("Jour"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": _("Saisissez une date valide, par exemple 2026-03-15.")},
    )
