"""Demo procedures: canteen enrolment, solidarity transport pass, residents' parking permit, the Pass'urbain.

Teams are made of the demo staff of ``guichet.accounts.demo`` plus a second agent who examines reviews.
Idempotent: run again, it changes nothing that exists.
"""

from django.db import transaction
from django.utils import timezone

from guichet.accounts.demo import DEMO_PASSWORD, enrolment_lines
from guichet.accounts.enums import Role
from guichet.accounts.models import Person, User
from guichet.catalog.models import Service
from guichet.procedures.enums import ProcedureKind
from guichet.procedures.models import DocumentType, ProcedureType, Team

SECOND_AGENT = ("agent.recours@demo.guichet.fr", "Samia", "Haddad")

DOCUMENT_TYPES = [
    (
        "justificatif-domicile",
        "Justificatif de domicile de moins de 3 mois",
        "Facture d'énergie, quittance de loyer...",
        90,
    ),
    (
        "certificat-immatriculation",
        "Certificat d'immatriculation du véhicule",
        "La carte grise, à votre adresse.",
        None,
    ),
]

PROCEDURES = [
    {
        "slug": "inscription-cantine",
        "name": "Inscription à la restauration scolaire",
        "description": "Inscrivez votre enfant à la cantine de son école. Le prix du repas dépend de votre quotient "
        "familial, calculé à partir de votre foyer.",
        "team": "education",
        "service": "cantine",
        "questions": [
            {
                "name": "enfant",
                "label": "Enfant à inscrire",
                "kind": "member",
                "required": True,
                "relationships": ["child"],
            },
            {"name": "ecole", "label": "École", "kind": "text", "required": True},
            {
                "name": "jours",
                "label": "Jours de cantine",
                "kind": "choice",
                "required": True,
                "choices": ["Lundi, mardi, jeudi et vendredi", "Certains jours seulement"],
            },
        ],
        "documents": ["justificatif-domicile"],
        "target_delay_days": 15,
        "engine_aid": "metropole_demo_cantine",
        "engine_member_question": "enfant",
        "benefit_id": "metropole_demo_cantine",
    },
    {
        "slug": "pass-transport-solidaire",
        "name": "Pass transport solidaire",
        "description": "Un abonnement mensuel gratuit ou réduit selon vos ressources. Décision validée par une "
        "seconde signature.",
        "team": "mobilite",
        "service": "transports",
        "questions": [{"name": "beneficiaire", "label": "Pour qui ?", "kind": "member", "required": True}],
        "documents": ["justificatif-domicile"],
        "target_delay_days": 21,
        "requires_second_signature": True,
        "engine_aid": "metropole_demo_transport_solidaire",
        "engine_member_question": "beneficiaire",
        "benefit_id": "metropole_demo_transport_solidaire",
    },
    {
        "slug": "permis-stationnement-residents",
        "name": "Carte de stationnement résident",
        "description": "Stationnez à tarif résident près de chez vous.",
        "team": "mobilite",
        "service": None,
        "questions": [
            {"name": "adresse", "label": "Adresse du logement", "kind": "address", "required": True},
            {"name": "immatriculation", "label": "Immatriculation du véhicule", "kind": "text", "required": True},
            {"name": "debut", "label": "À partir du", "kind": "date", "required": True},
        ],
        "documents": ["justificatif-domicile", "certificat-immatriculation"],
        "target_delay_days": 10,
    },
    {
        "slug": "pass-urbain",
        "name": "Pass'urbain",
        "description": "Inscrivez en une seule fois les personnes de votre foyer à la cantine, à la piscine, aux "
        "transports et à la médiathèque. Chaque tarif est calculé à partir de votre quotient familial.",
        "team": "education",
        "service": None,
        "kind": ProcedureKind.PASS_URBAIN,
        "questions": [],
        "documents": ["justificatif-domicile"],
        "target_delay_days": 1,
    },
]


def _staff(email: str, first_name: str, last_name: str, role: Role) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, role=role, email_verified_at=timezone.now())
        Person.objects.create(user=user, first_name=first_name, last_name=last_name)
    return user


@transaction.atomic
def load() -> list[str]:
    agent = User.objects.filter(email="agent@demo.guichet.fr").first()
    supervisor = User.objects.filter(email="superviseure@demo.guichet.fr").first()
    second = _staff(*SECOND_AGENT, Role.AGENT)
    teams = {}
    for slug, name in (("education", "Éducation"), ("mobilite", "Mobilité et stationnement")):
        teams[slug], _created = Team.objects.get_or_create(slug=slug, defaults={"name": name})
        teams[slug].members.add(*[user for user in (agent, supervisor, second) if user is not None])
    types = {}
    for slug, name, description, days in DOCUMENT_TYPES:
        types[slug], _created = DocumentType.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "validity_days": days}
        )
    for spec in PROCEDURES:
        spec = dict(spec)
        documents = spec.pop("documents")
        team = teams[spec.pop("team")]
        service_slug = spec.pop("service")
        service = Service.objects.filter(slug=service_slug).first() if service_slug else None
        procedure, created = ProcedureType.objects.get_or_create(
            slug=spec.pop("slug"), defaults={**spec, "team": team, "service": service}
        )
        if created:
            procedure.documents.set([types[slug] for slug in documents])
    return [
        "Démarches : cantine, pass transport solidaire, stationnement résident, Pass'urbain "
        "(équipes Éducation et Mobilité ; second agent pour les recours : " + SECOND_AGENT[0] + ")",
        *enrolment_lines([second]),
    ]
