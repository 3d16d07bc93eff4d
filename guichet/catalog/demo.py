"""The demo territory: real communes of the Lyon metropolis with their real INSEE codes."""

import datetime

from django.db import transaction

from guichet.catalog.enums import PlaceKind, ServiceKind
from guichet.catalog.models import Commune, OpeningHours, Place, Service, Territory

COMMUNES = [
    ("69123", "Lyon", "69001"),
    ("69266", "Villeurbanne", "69100"),
    ("69259", "Vénissieux", "69200"),
    ("69256", "Vaulx-en-Velin", "69120"),
    ("69029", "Bron", "69500"),
    ("69034", "Caluire-et-Cuire", "69300"),
    ("69290", "Saint-Priest", "69800"),
]

SERVICES = [
    ("piscines", "Piscines municipales", ServiceKind.POOL, "Entrées et abonnements aux piscines de la métropole."),
    (
        "cantine",
        "Restauration scolaire",
        ServiceKind.CANTEEN,
        "Inscription des enfants à la cantine, tarif selon le quotient familial.",
    ),
    ("transports", "Transports en commun", ServiceKind.TRANSPORT, "Abonnements, dont la tarification solidaire."),
    ("mediatheques", "Médiathèques", ServiceKind.LIBRARY, "Carte de lecteur gratuite et prêt de documents."),
    ("culture", "Pass culture jeunes", ServiceKind.CULTURE, "Sorties culturelles à prix réduit pour les 15-25 ans."),
    ("action-sociale", "Action sociale", ServiceKind.SOCIAL, "Aides du CCAS, accompagnement social."),
    (
        "etat-civil",
        "État civil",
        ServiceKind.CIVIL,
        "Actes de naissance, mariage, décès ; cartes d'identité et passeports.",
    ),
]

PLACES = [
    (
        "Espace France Services de Vaulx-en-Velin",
        PlaceKind.FRANCE_SERVICES,
        "69256",
        "12 avenue Gabriel Péri",
        ["action-sociale", "transports", "etat-civil"],
        [(d, "09:00", "12:30") for d in range(5)] + [(d, "13:30", "17:00") for d in (0, 1, 3, 4)],
    ),
    (
        "Mairie de Villeurbanne",
        PlaceKind.TOWN_HALL,
        "69266",
        "Place Lazare Goujon",
        ["etat-civil", "cantine", "piscines"],
        [(d, "08:30", "17:00") for d in range(5)] + [(5, "09:00", "12:00")],
    ),
    (
        "CCAS de Vénissieux",
        PlaceKind.CCAS,
        "69259",
        "5 avenue Marcel Houël",
        ["action-sociale"],
        [(d, "08:30", "12:00") for d in range(5)] + [(d, "13:30", "16:30") for d in (0, 2, 4)],
    ),
]


@transaction.atomic
def load() -> list[str]:
    territory, _created = Territory.objects.get_or_create(
        slug="metropole-demo", defaults={"name": "Métropole de démonstration"}
    )
    for insee, name, postal_code in COMMUNES:
        Commune.objects.get_or_create(
            insee_code=insee, defaults={"territory": territory, "name": name, "postal_code": postal_code}
        )
    services = {}
    for slug, name, kind, description in SERVICES:
        services[slug], _created = Service.objects.get_or_create(
            territory=territory, slug=slug, defaults={"name": name, "kind": kind, "description": description}
        )
    for name, kind, insee, address, service_slugs, hours in PLACES:
        place, created = Place.objects.get_or_create(
            territory=territory,
            name=name,
            defaults={"kind": kind, "commune": Commune.objects.get(insee_code=insee), "address_line": address},
        )
        if created:
            place.services.set([services[s] for s in service_slugs])
            OpeningHours.objects.bulk_create(
                OpeningHours(
                    place=place,
                    weekday=day,
                    opens_at=datetime.time.fromisoformat(opens),
                    closes_at=datetime.time.fromisoformat(closes),
                )
                for day, opens, closes in hours
            )
    return [f"Territoire : {territory.name} ({len(COMMUNES)} communes, {len(PLACES)} lieux d'accueil)"]
