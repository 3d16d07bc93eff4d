"""Demo mediation: the organisations of the demo counters, the demo mediator, and one active mandate."""

from django.db import transaction

from guichet.accounts.models import Person, User
from guichet.catalog.models import Place
from guichet.mediation import services
from guichet.mediation.enums import ConsentMethod, Duration, Family, OrganisationKind
from guichet.mediation.models import Mandate, Membership, Organisation

ORGANISATIONS = [
    # (name, kind, name of the demo counter, address, postal code, city)
    (
        "France Services de Vaulx-en-Velin",
        OrganisationKind.FRANCE_SERVICES,
        "Espace France Services de Vaulx-en-Velin",
        "12 avenue Gabriel Péri",
        "69120",
        "Vaulx-en-Velin",
    ),
    (
        "CCAS de Vénissieux",
        OrganisationKind.CCAS,
        "CCAS de Vénissieux",
        "5 avenue Marcel Houël",
        "69200",
        "Vénissieux",
    ),
    (
        "PIMMS Médiation de Villeurbanne",
        OrganisationKind.PIMMS,
        "Mairie de Villeurbanne",
        "Place Lazare Goujon",
        "69100",
        "Villeurbanne",
    ),
]
MEDIATOR = "mediatrice@demo.guichet.fr"
MANDATE_FOR = "gerard.martin@demo.guichet.fr"


@transaction.atomic
def load() -> list[str]:
    organisations = {}
    for name, kind, place_name, address, postal_code, city in ORGANISATIONS:
        organisations[name], _created = Organisation.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "place": Place.objects.filter(name=place_name).first(),
                "address_line": address,
                "postal_code": postal_code,
                "city": city,
            },
        )
    lines = [f"Médiation : {len(ORGANISATIONS)} organisations"]
    mediator = User.objects.filter(email=MEDIATOR).first()
    person = Person.objects.filter(user__email=MANDATE_FOR).first()
    if mediator is None or person is None:
        return lines
    france_services = organisations[ORGANISATIONS[0][0]]
    Membership.objects.get_or_create(organisation=france_services, user=mediator, ended_at=None)
    lines.append(f"  {MEDIATOR} est médiatrice de {france_services.name}")
    if not Mandate.objects.active().filter(person=person, organisation=france_services).exists():
        # He has an account: the mediator asks, and he gives his consent from his own account (a demo database from
        # before 7 December 2026 has his mandate waiting for that confirmation).
        mandate = Mandate.objects.pending().filter(person=person, organisation=france_services).first()
        if mandate is None:
            mandate = services.mandate_prepare(
                person=person,
                organisation=france_services,
                families=[Family.APPOINTMENTS, Family.SOCIAL_AIDS],
                duration=Duration.TWELVE_MONTHS,
                consent_method=ConsentMethod.REMOTE_ACCOUNT,
                by=mediator,
            )
        services.mandate_accept(mandate=mandate, by=person.user)
    lines.append(
        f"  mandat actif de {person.full_name} à {france_services.name} (rendez-vous, aides sociales), "
        "accepté depuis son compte"
    )
    return lines
