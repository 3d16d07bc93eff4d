"""The catalogue of national aids computed by OpenFisca-France.

Only what a person needs to understand and claim an aid lives here (label, plain-language description, where to
claim it). The law itself (amounts, ceilings, conditions) is openfisca-france's: Guichet never copies it. The legal
references shown to users are the catalogue's ``legal_basis`` plus the ``reference`` metadata of the OpenFisca
variable when the model provides one (see ``Benefit.references``).
"""

import dataclasses

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guichet.rights.engine.system import get_tax_benefit_system

FRANCE_SERVICES = _("Un espace France Services peut vous aider à faire la demande.")
FRANCE_SERVICES_URL = "https://www.france-services.gouv.fr"


@dataclasses.dataclass(frozen=True)
class Benefit:
    """One national aid of the catalogue.

    ``variable`` is the OpenFisca variable, computed on the month asked for (``period_unit == "month"``) or on its
    calendar year (``"year"``). ``kind`` says how to read the value: ``amount`` is paid to the household (eligible
    when > 0), ``contribution`` is what the household pays to be covered (eligible when > 0, e.g. the CSS
    participation), ``boolean`` is a plain eligibility (e.g. the free CSS).
    """

    id: str
    variable: str
    period_unit: str
    label: Promise
    description: Promise
    legal_basis: str
    organisation: str
    claim: Promise
    url: str
    kind: str = "amount"
    # Some variables are computed on a month but hold a yearly amount (the school grants: three terms' worth, per
    # their formula): "year" here makes Guichet show them per year and count a twelfth of them per month.
    amount_per: str = ""

    @property
    def amount_period(self) -> str:
        """The period the amount is expressed in ("month" or "year")."""
        return self.amount_per or self.period_unit

    @property
    def entity(self) -> str:
        """The OpenFisca entity the variable is defined on."""
        return get_tax_benefit_system().variables[self.variable].entity.key

    @property
    def references(self) -> list[str]:
        """The catalogue's legal basis followed by the references given by the model for this variable."""
        reference = get_tax_benefit_system().variables[self.variable].reference or []
        if isinstance(reference, str):
            reference = [reference]
        return [self.legal_basis, *reference]

    def period_for(self, period_month: str) -> str:
        """The OpenFisca period this aid is computed on for a given month ``YYYY-MM``."""
        return period_month if self.period_unit == "month" else period_month[:4]

    def as_dict(self) -> dict:
        """A JSON-serialisable description (lazy strings resolved in the active language)."""
        return {
            "id": self.id,
            "variable": self.variable,
            "period_unit": self.period_unit,
            "kind": self.kind,
            "amount_period": self.amount_period,
            "label": str(self.label),
            "description": str(self.description),
            "references": self.references,
            "organisation": self.organisation,
            "claim": str(self.claim),
            "url": self.url,
            "help": str(FRANCE_SERVICES),
            "help_url": FRANCE_SERVICES_URL,
        }


CAF = "Caisse d'allocations familiales (CAF) ou Mutualité sociale agricole (MSA)"
CAF_URL = "https://www.caf.fr"

BENEFITS: tuple[Benefit, ...] = (
    Benefit(
        id="rsa",
        variable="rsa",
        period_unit="month",
        label=_("Revenu de solidarité active (RSA)"),
        description=_("Un revenu minimum pour les personnes sans ressources ou avec de faibles ressources."),
        legal_basis="Code de l'action sociale et des familles, article L262-1 et suivants",
        organisation=CAF,
        claim=_("Faites la demande en ligne sur caf.fr (ou msa.fr) ou auprès de votre département."),
        url=CAF_URL,
    ),
    Benefit(
        id="ppa",
        variable="ppa",
        period_unit="month",
        label=_("Prime d'activité"),
        description=_("Un complément de revenus pour les personnes qui travaillent et gagnent peu."),
        legal_basis="Code de la sécurité sociale, article L841-1 et suivants",
        organisation=CAF,
        claim=_("Faites la demande en ligne sur caf.fr (ou msa.fr)."),
        url=CAF_URL,
    ),
    Benefit(
        id="aide_logement",
        variable="aide_logement",
        period_unit="month",
        label=_("Aide personnalisée au logement (APL, ALS ou ALF)"),
        description=_("Une aide pour payer votre loyer ou rembourser le prêt de votre logement."),
        legal_basis="Code de la construction et de l'habitation, article L821-1 et suivants",
        organisation=CAF,
        claim=_("Faites la demande en ligne sur caf.fr (ou msa.fr), avec votre bail ou votre quittance de loyer."),
        url=CAF_URL,
    ),
    Benefit(
        id="af",
        variable="af",
        period_unit="month",
        label=_("Allocations familiales"),
        description=_("Une aide mensuelle pour les familles qui ont au moins deux enfants à charge."),
        legal_basis="Code de la sécurité sociale, article L521-1 et suivants",
        organisation=CAF,
        claim=_("Déclarez vos enfants à la CAF (ou à la MSA) : le versement est ensuite automatique."),
        url=CAF_URL,
    ),
    Benefit(
        id="cf",
        variable="cf",
        period_unit="month",
        label=_("Complément familial"),
        description=_("Une aide pour les familles d'au moins trois enfants de 3 ans ou plus, selon les ressources."),
        legal_basis="Code de la sécurité sociale, article L522-1 et suivants",
        organisation=CAF,
        claim=_("Adressez-vous à votre CAF (ou MSA) ; l'aide est souvent versée sans demande particulière."),
        url=CAF_URL,
    ),
    Benefit(
        id="asf",
        variable="asf",
        period_unit="month",
        label=_("Allocation de soutien familial (ASF)"),
        description=_("Une aide pour élever un enfant privé de l'aide de l'un de ses parents ou des deux."),
        legal_basis="Code de la sécurité sociale, article L523-1 et suivants",
        organisation=CAF,
        claim=_("Faites la demande en ligne sur caf.fr (ou msa.fr)."),
        url=CAF_URL,
    ),
    Benefit(
        id="ars",
        variable="ars",
        period_unit="year",
        label=_("Allocation de rentrée scolaire (ARS)"),
        description=_("Une aide versée en août pour les dépenses de rentrée des enfants de 6 à 18 ans."),
        legal_basis="Code de la sécurité sociale, article L543-1",
        organisation=CAF,
        claim=_("Versée automatiquement si la CAF connaît vos enfants ; de 16 à 18 ans, déclarez leur scolarité."),
        url=CAF_URL,
    ),
    Benefit(
        id="paje_base",
        variable="paje_base",
        period_unit="month",
        label=_("Allocation de base de la PAJE"),
        description=_("Une aide mensuelle pour les parents d'un enfant de moins de 3 ans, selon les ressources."),
        legal_basis="Code de la sécurité sociale, article L531-3",
        organisation=CAF,
        claim=_("Déclarez la grossesse et la naissance à la CAF (ou MSA) ; la demande se fait à la naissance."),
        url=CAF_URL,
    ),
    Benefit(
        id="aah",
        variable="aah",
        period_unit="month",
        label=_("Allocation aux adultes handicapés (AAH)"),
        description=_("Un revenu minimum pour les personnes en situation de handicap."),
        legal_basis="Code de la sécurité sociale, article L821-1 et suivants",
        organisation="Maison départementale des personnes handicapées (MDPH)",
        claim=_("Déposez le formulaire de demande auprès de votre MDPH, en ligne ou sur papier."),
        url="https://mdphenligne.cnsa.fr",
    ),
    Benefit(
        id="aspa",
        variable="aspa",
        period_unit="month",
        label=_("Allocation de solidarité aux personnes âgées (ASPA)"),
        description=_("Un revenu minimum pour les personnes âgées qui ont de faibles retraites."),
        legal_basis="Code de la sécurité sociale, article L815-1 et suivants",
        organisation="Votre caisse de retraite (Assurance retraite, MSA...)",
        claim=_("Demandez-la à la caisse qui vous verse votre retraite."),
        url="https://www.lassuranceretraite.fr",
    ),
    Benefit(
        id="css",
        variable="cmu_c",
        period_unit="month",
        kind="boolean",
        label=_("Complémentaire santé solidaire gratuite"),
        description=_("Une mutuelle gratuite qui prend en charge vos frais de santé, sans avance de frais."),
        legal_basis="Code de la sécurité sociale, article L861-1 et suivants",
        organisation="Assurance maladie (CPAM) ou MSA",
        claim=_("Faites la demande en ligne sur votre compte ameli.fr ou auprès de votre caisse."),
        url="https://www.ameli.fr",
    ),
    Benefit(
        id="css_participation",
        variable="css_participation_forfaitaire",
        period_unit="month",
        # The model's label says "Montant annuel", but its parameters are the legal monthly participations per
        # person (8 to 30 € by age band, arrêté of 2019-11-01 and décret 2021-1642): a monthly amount.
        kind="contribution",
        label=_("Complémentaire santé solidaire avec participation"),
        description=_("Une mutuelle à moins de 1 € par jour et par personne, selon l'âge et les ressources."),
        legal_basis="Code de la sécurité sociale, article L861-1 et suivants",
        organisation="Assurance maladie (CPAM) ou MSA",
        claim=_("Faites la demande en ligne sur votre compte ameli.fr ou auprès de votre caisse."),
        url="https://www.ameli.fr",
    ),
    Benefit(
        id="cheque_energie",
        variable="cheque_energie",
        period_unit="year",
        label=_("Chèque énergie"),
        description=_("Une aide pour payer les factures d'énergie du logement, selon les ressources."),
        legal_basis="Code de l'énergie, article L124-1",
        organisation="Agence de services et de paiement (chèque énergie)",
        claim=_("Il est envoyé automatiquement d'après votre déclaration de revenus ; déclarez vos revenus."),
        url="https://chequeenergie.gouv.fr",
    ),
    Benefit(
        id="bourse_college",
        variable="bourse_college",
        period_unit="month",
        amount_per="year",
        label=_("Bourse de collège"),
        description=_("Une aide pour les frais de scolarité des collégiens, selon les ressources de la famille."),
        legal_basis="Code de l'éducation, article L531-1",
        organisation="Le collège de l'enfant",
        claim=_("Faites la demande en ligne sur Scolarité services (ÉduConnect) ou auprès du collège."),
        url="https://educonnect.education.gouv.fr",
    ),
    Benefit(
        id="bourse_lycee",
        variable="bourse_lycee",
        period_unit="month",
        amount_per="year",
        label=_("Bourse de lycée"),
        description=_("Une aide pour les frais de scolarité des lycéens, selon les ressources de la famille."),
        legal_basis="Code de l'éducation, article L531-1",
        organisation="Le lycée de l'enfant",
        claim=_("Faites la demande en ligne sur Scolarité services (ÉduConnect) ou auprès du lycée."),
        url="https://educonnect.education.gouv.fr",
    ),
)

BENEFITS_BY_ID: dict[str, Benefit] = {benefit.id: benefit for benefit in BENEFITS}


def get_benefits(ids: list[str] | tuple[str, ...] | None = None) -> list[Benefit]:
    """The catalogue, or the listed aids in the given order; unknown ids raise ``KeyError``."""
    if ids is None:
        return list(BENEFITS)
    return [BENEFITS_BY_ID[benefit_id] for benefit_id in ids]


def missing_variables() -> list[str]:
    """Catalogue variables absent from the loaded model version (empty when the catalogue matches the model)."""
    variables = get_tax_benefit_system().variables
    return [benefit.variable for benefit in BENEFITS if benefit.variable not in variables]
