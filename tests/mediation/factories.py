"""Builders for mediation tests: organisations, memberships and mandates (through the services, as in real life)."""

import datetime
import itertools

from guichet.mediation import services
from guichet.mediation.enums import ConsentMethod, Duration, Family, OrganisationKind
from guichet.mediation.models import Mandate, Membership, Organisation
from tests.factories import PersonFactory, UserFactory

_names = itertools.count(1)


def organisation(**fields) -> Organisation:
    defaults = {
        "name": f"France Services n° {next(_names)}",
        "kind": OrganisationKind.FRANCE_SERVICES,
        "address_line": "12 avenue Gabriel Péri",
        "postal_code": "69120",
        "city": "Vaulx-en-Velin",
    }
    return Organisation.objects.create(**{**defaults, **fields})


def membership(user, org: Organisation | None = None) -> Membership:
    return Membership.objects.create(organisation=org or organisation(), user=user)


def mediator(org: Organisation | None = None):
    """A mediator member of ``org`` (a new organisation if not given)."""
    user = UserFactory(mediator=True)
    membership(user, org)
    return user


def postal_person(**fields):
    defaults = {
        "user": None,
        "address_line": "3 rue des Lilas",
        "postal_code": "69120",
        "city": "Vaulx-en-Velin",
        "contact_channel": "postal",
        "birth_date": datetime.date(1948, 3, 9),
    }
    return PersonFactory(**{**defaults, **fields})


def pending_mandate(
    *,
    person=None,
    by=None,
    families=(Family.SIMULATION, Family.APPOINTMENTS),
    duration=Duration.SIX_MONTHS,
    method=None,
) -> Mandate:
    """A mandate waiting for consent: signed at the counter for a person without an account (the default), else
    confirmed from the person's account, unless ``method`` says otherwise."""
    by = by or mediator()
    person = person or postal_person()
    org = Organisation.objects.of_mediator(by).first()
    if method is None:
        method = ConsentMethod.IN_PERSON if person.user_id is None else ConsentMethod.REMOTE_ACCOUNT
    return services.mandate_prepare(
        person=person,
        organisation=org,
        families=list(families),
        duration=duration,
        consent_method=method,
        by=by,
    )


def sign_in_person(mandate: Mandate, by=None) -> Mandate:
    """The person without an account signs at the counter, after the mediator checked their identity card."""
    return services.mandate_sign_in_person(
        mandate=mandate, by=by or mandate.created_by, identity_document="id_card", identity_document_end="7F3K"
    )


def active_mandate(**kwargs) -> Mandate:
    """A mandate in force, consented the way its person can consent: at the counter, or from their account."""
    mandate = pending_mandate(**kwargs)
    if mandate.consent_method == ConsentMethod.IN_PERSON:
        return sign_in_person(mandate)
    return services.mandate_accept(mandate=mandate, by=mandate.person.user)
