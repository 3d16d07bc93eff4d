"""Demo accounts: citizens with varied households, and one account per staff role."""

import datetime

from django.db import transaction
from django.utils import timezone

from guichet.accounts import otp, services
from guichet.accounts.enums import ConsentPurpose, ContactChannel, Role
from guichet.accounts.forms import last_twelve_months
from guichet.accounts.models import Household, Person, User

DEMO_PASSWORD = "demo-guichet-2026"


def _monthly(amount: int, kind: str = "salary") -> dict[str, dict[str, str]]:
    return {f"{month:%Y-%m}": {kind: str(amount)} for month in last_twelve_months()}


CITIZENS = [
    {
        "email": "amina.diallo@demo.guichet.fr",
        "person": {"first_name": "Amina", "last_name": "Diallo", "birth_date": datetime.date(1990, 4, 12)},
        "label": "mère seule, deux enfants, petits revenus",
        "household": {
            "housing": {"commune_insee": "69256", "housing": "social_tenant", "monthly_rent": "520.00"},
            "members": [
                {"relationship": "self", "first_name": "Amina", "birth_date": "1990-04-12", "situation": "employed"},
                {
                    "relationship": "child",
                    "first_name": "Moussa",
                    "birth_date": "2014-09-03",
                    "situation": "student",
                    "school_level": "college",
                },
                {
                    "relationship": "child",
                    "first_name": "Fatou",
                    "birth_date": "2019-02-20",
                    "situation": "student",
                    "school_level": "primaire",
                },
            ],
            "resources": {"0": _monthly(950)},
            "taxes": {"last_year_taxable_income": "10800.00"},
        },
    },
    {
        "email": "gerard.martin@demo.guichet.fr",
        "person": {"first_name": "Gérard", "last_name": "Martin", "birth_date": datetime.date(1952, 11, 2)},
        "label": "couple de retraités",
        "household": {
            "housing": {"commune_insee": "69029", "housing": "owner", "monthly_rent": None},
            "members": [
                {"relationship": "self", "first_name": "Gérard", "birth_date": "1952-11-02", "situation": "retired"},
                {
                    "relationship": "partner",
                    "first_name": "Monique",
                    "birth_date": "1955-06-18",
                    "situation": "retired",
                },
            ],
            "resources": {"0": _monthly(1150, "pension"), "1": _monthly(780, "pension")},
            "taxes": {"last_year_taxable_income": "23500.00"},
        },
        "contact_channel": ContactChannel.POSTAL,
    },
    {
        "email": "lea.nguyen@demo.guichet.fr",
        "person": {"first_name": "Léa", "last_name": "Nguyen", "birth_date": datetime.date(2004, 1, 30)},
        "label": "étudiante en colocation",
        "household": {
            "housing": {
                "commune_insee": "69266",
                "housing": "furnished_tenant",
                "monthly_rent": "430.00",
                "shared_tenancy": True,
            },
            "members": [
                {
                    "relationship": "self",
                    "first_name": "Léa",
                    "birth_date": "2004-01-30",
                    "situation": "student",
                    "school_level": "superieur",
                },
            ],
            "resources": {"0": _monthly(300)},
            "taxes": {"last_year_taxable_income": "0"},
        },
    },
    {
        "email": "karim.benali@demo.guichet.fr",
        "person": {"first_name": "Karim", "last_name": "Benali", "birth_date": datetime.date(1982, 7, 8)},
        "label": "famille de cinq",
        "household": {
            "housing": {"commune_insee": "69259", "housing": "tenant", "monthly_rent": "890.00"},
            "members": [
                {"relationship": "self", "first_name": "Karim", "birth_date": "1982-07-08", "situation": "employed"},
                {
                    "relationship": "partner",
                    "first_name": "Sonia",
                    "birth_date": "1985-03-14",
                    "situation": "unemployed",
                    "unemployed_since": "2026-02-01",
                },
                {
                    "relationship": "child",
                    "first_name": "Yanis",
                    "birth_date": "2010-05-01",
                    "situation": "student",
                    "school_level": "lycee",
                },
                {
                    "relationship": "child",
                    "first_name": "Inès",
                    "birth_date": "2013-10-22",
                    "situation": "student",
                    "school_level": "college",
                },
                {
                    "relationship": "child",
                    "first_name": "Nour",
                    "birth_date": "2022-12-05",
                    "situation": "child",
                    "school_level": "maternelle",
                },
            ],
            "resources": {"0": _monthly(1900), "1": _monthly(620, "unemployment")},
            "taxes": {"last_year_taxable_income": "27400.00"},
        },
    },
]

STAFF = [
    ("mediatrice@demo.guichet.fr", "Nadia", "Roux", Role.MEDIATOR),
    ("agent@demo.guichet.fr", "Julien", "Morel", Role.AGENT),
    ("superviseure@demo.guichet.fr", "Claire", "Fontaine", Role.SUPERVISOR),
    ("admin@demo.guichet.fr", "Paul", "Girard", Role.ADMIN),
]


def _user(email: str, role: Role, first_name: str, last_name: str, **person_fields) -> tuple[User, bool]:
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user, False
    user = User.objects.create_user(
        email,
        DEMO_PASSWORD,
        role=role,
        email_verified_at=timezone.now(),
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    Person.objects.create(user=user, first_name=first_name, last_name=last_name, **person_fields)
    return user, True


@transaction.atomic
def load() -> list[str]:
    lines = [f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :"]
    for citizen in CITIZENS:
        person_fields = dict(citizen["person"])
        user, created = _user(
            citizen["email"],
            Role.CITIZEN,
            person_fields.pop("first_name"),
            person_fields.pop("last_name"),
            contact_channel=citizen.get("contact_channel", ContactChannel.EMAIL),
            address_line="1 rue de la Démonstration",
            postal_code="69000",
            city="Lyon",
            **person_fields,
        )
        if created or not Household.objects.filter(person=user.person).exists():
            services.household_save(person=user.person, data=citizen["household"], by=user)
            services.consent_give(person=user.person, purpose=ConsentPurpose.DATA_REUSE, by=user)
        lines.append(f"  usager      {citizen['email']:<34} {citizen['label']}")
    staff = []
    for email, first_name, last_name, role in STAFF:
        user, _created = _user(email, role, first_name, last_name)
        lines.append(f"  {role.value:<11} {email}")
        staff.append(user)
    lines.append(
        f"Second facteur du personnel : connectez-vous au compte, puis ouvrez son lien d'activation (à usage unique, "
        f"valable {otp.enrolment_link_validity()} ; `guichet demo` en imprime de nouveaux à chaque lancement) :"
    )
    return lines + enrolment_lines(staff)


def enrolment_lines(users: list[User]) -> list[str]:
    """A fresh enrolment link for each demo staff member not enrolled yet: nobody can send them one by email."""
    return [
        f"  {user.email:<34} {otp.enrolment_link_send(user=user, by=None, deliver=False)}"
        for user in users
        if not otp.has_confirmed_device(user)
    ]
