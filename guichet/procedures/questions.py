"""A procedure's questions, as a territory admin declared them, turned into form fields and checked answers.

Answers are stored as JSON strings (dates in ISO format, household members by ``computation.member_key``).
A "member" question may name the relationships it accepts (``"relationships": ["child"]``): only those members
of the household are offered and accepted; without the key, every member is.
"""

import contextlib
import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext as _

from guichet.accounts.enums import Relationship
from guichet.procedures import computation
from guichet.procedures.enums import QuestionKind


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _household(person):
    return getattr(person, "household", None) if person is not None else None


def eligible_members(question: dict, household) -> list:
    """The members of the household a "member" question may name, in the household's order."""
    if household is None:
        return []
    accepted = question.get("relationships")
    members = household.members.order_by("position", "id")
    return [m for m in members if not accepted or m.relationship in accepted]


def member_choices(question: dict, person) -> list[tuple[str, str]]:
    return [(computation.member_key(m), m.first_name) for m in eligible_members(question, _household(person))]


def no_member_message(question: dict) -> str:
    """Why a "member" question cannot be answered yet, and how to fix it, in French."""
    if question.get("relationships") == [Relationship.CHILD]:
        return _(
            "Aucun enfant n'est déclaré dans votre foyer : « %(label)s » ne peut concerner qu'un enfant. Ajoutez "
            "votre enfant à la description de votre foyer (« Mon compte », rubrique « Mon foyer », étape « Les "
            "personnes de votre foyer »), puis revenez à cette démarche : votre brouillon est gardé."
        ) % {"label": question["label"]}
    return _(
        "Personne dans votre foyer ne peut être choisi pour « %(label)s ». Ajoutez la personne concernée à la "
        "description de votre foyer (« Mon compte », rubrique « Mon foyer », étape « Les personnes de votre "
        "foyer »), puis revenez à cette démarche : votre brouillon est gardé."
    ) % {"label": question["label"]}


def field_for(question: dict, person) -> forms.Field:
    """The form field of one question; choices of a "member" question come from the person's household.

    A "member" question with no member to offer has no field: see ``AnswersForm`` and ``no_member_message``.
    """
    kind = question["kind"]
    common = {
        "label": question["label"],
        "required": bool(question.get("required")),
        "help_text": question.get("help", ""),
    }
    if kind == QuestionKind.NUMBER:
        return forms.DecimalField(max_digits=12, decimal_places=2, **common)
    if kind == QuestionKind.DATE:
        return forms.DateField(widget=DateInput(), **common)
    if kind == QuestionKind.CHOICE:
        choices = [("", "—")] + [(str(c), str(c)) for c in question.get("choices", [])]
        return forms.ChoiceField(choices=choices, **common)
    if kind == QuestionKind.MEMBER:
        choices = [("", "—"), *member_choices(question, person)]
        return forms.ChoiceField(
            choices=choices,
            error_messages={"invalid_choice": _("Choisissez une personne parmi celles proposées.")},
            **common,
        )
    if kind == QuestionKind.ADDRESS:
        return forms.CharField(max_length=300, widget=forms.TextInput({"autocomplete": "street-address"}), **common)
    return forms.CharField(max_length=2000, widget=forms.Textarea({"rows": 3}), **common)


def to_json(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def prefill(procedure, person) -> dict:
    """What is already known: the person's address; for a "member" question, the only child it may name."""
    answers = {}
    household = _household(person)
    for question in procedure.questions:
        if question["kind"] == QuestionKind.ADDRESS and person.address_line:
            answers[question["name"]] = f"{person.address_line}, {person.postal_code} {person.city}".strip(", ")
        elif question["kind"] == QuestionKind.MEMBER and household is not None:
            eligible = eligible_members(question, household)
            children = [m for m in eligible if m.relationship == Relationship.CHILD]
            if len(children) == 1:
                answers[question["name"]] = computation.member_key(children[0])
    return answers


def _valid(question: dict, value: str, person) -> bool:
    kind = question["kind"]
    try:
        if kind == QuestionKind.NUMBER:
            Decimal(value)
        elif kind == QuestionKind.DATE:
            datetime.date.fromisoformat(value)
        elif kind == QuestionKind.CHOICE:
            return value in [str(c) for c in question.get("choices", [])]
        elif kind == QuestionKind.MEMBER:
            return value in dict(member_choices(question, person))
    except (InvalidOperation, ValueError):
        return False
    return True


def missing_answers(procedure, answers: dict, person=None) -> list[str]:
    """Required questions without a valid answer, in French (checked again at submission, whatever was posted)."""
    problems = []
    for question in procedure.questions:
        value = str(answers.get(question["name"], "") or "").strip()
        if not value:
            if question.get("required"):
                problems.append(_("Réponse manquante : %(label)s.") % {"label": question["label"]})
        elif person is not None and not _valid(question, value, person):
            problems.append(_("Réponse à corriger : %(label)s.") % {"label": question["label"]})
    return problems


def displayed(procedure, answers: dict, person) -> list[tuple[str, str]]:
    """(label, answer as a person reads it) for the recap and the case page."""
    members = dict(computation.member_choices(_household(person)))
    shown = []
    for question in procedure.questions:
        value = answers.get(question["name"], "")
        if question["kind"] == QuestionKind.MEMBER and value:
            value = members.get(value, value.split("|")[0])
        elif question["kind"] == QuestionKind.DATE and value:
            with contextlib.suppress(ValueError):
                value = datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
        shown.append((question["label"], value or _("non renseigné")))
    return shown
