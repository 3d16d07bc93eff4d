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
    method=ConsentMethod.IN_PERSON,
) -> Mandate:
    by = by or mediator()
    org = Organisation.objects.of_mediator(by).first()
    return services.mandate_prepare(
        person=person or postal_person(),
        organisation=org,
        families=list(families),
        duration=duration,
        consent_method=method,
        by=by,
    )


def active_mandate(**kwargs) -> Mandate:
    mandate = pending_mandate(**kwargs)
    return services.mandate_sign_in_person(mandate=mandate, by=mandate.created_by)
