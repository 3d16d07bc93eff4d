"""The reference panel's generator: an expert's worksheet, in plain OpenFisca-France.

Run ``uv run python tests/rights/panel/expert.py [slug ...]``. For every ``households/<slug>.yaml`` (or the slugs
given) it reads ``month`` and ``household`` (the household form of docs/rights-mapping.md, written by hand) and
rewrites ``situation`` (the OpenFisca-France situation an expert writes for that household) and ``expected`` (the
amount of every aid of the national catalogue, computed from that very situation).

The rules applied where the form is silent are those of docs/rights-mapping.md, "Rules where the form is silent",
implemented here from the openfisca-france source, independently of Guichet's simulator (no Guichet module is
imported; the catalogue's ids and variables are read from the source of guichet/rights/engine/benefits.py). The
comments "rule N" point to that list. Where the rules leave a choice, the choice is said in a comment marked
"Expert's choice".

Everything is computed with a fresh ``CountryTaxBenefitSystem``; the project's speed layer is kept out
(``GUICHET_RIGHTS_ACCEL=0``).
"""

from __future__ import annotations

import ast
import copy
import datetime
import json
import os
import sys
import time
from pathlib import Path

os.environ["GUICHET_RIGHTS_ACCEL"] = "0"  # the reference is computed by plain OpenFisca only

import numpy  # noqa: E402
import yaml  # noqa: E402
from openfisca_core.simulation_builder import SimulationBuilder  # noqa: E402
from openfisca_france import CountryTaxBenefitSystem  # noqa: E402

PANEL = Path(__file__).resolve().parent
HOUSEHOLDS = PANEL / "households"
BENEFITS_SOURCE = PANEL.parents[2] / "guichet" / "rights" / "engine" / "benefits.py"

HISTORY = 36  # rule 1: situations, housing and incomes are set on every month from M-36 to M
DECLARED = 12  # rule 1: the form declares M-12..M-1
PAST_BENEFITS = 13  # rule 4: benefits received are set on M-13..M-1
# The CSG rate of a pension or an unemployment benefit of year Y reads the rfr of Y-2: the oldest month set (M-36,
# in N-3) reads N-5. Rule 3 gives the rfr of N-1 and N-2 and says the years before take N-2's.
RFR_YEARS = 5

# Tolerances of the fixed points.
NET_TOLERANCE = 0.001  # euros: OpenFisca's net of the solved gross equals the declared net to a tenth of a cent
INPUT_DECIMALS = 6  # inputs are written rounded to 1e-6
AMOUNT_DECIMALS = 2  # expected amounts, to the cent

# --- The form's words in OpenFisca's ---------------------------------------------------------------------------

# Expert's choice (the rules do not spell the status out): the form's housing in OpenFisca's
# `statut_occupation_logement` (TypesStatutOccupationLogement). An owner is an owner without a loan (`proprietaire`).
HOUSING_STATUS = {
    "tenant": "locataire_vide",
    "furnished_tenant": "locataire_meuble",
    "social_tenant": "locataire_hlm",
    "owner": "proprietaire",
    "hosted": "loge_gratuitement",
    "homeless": "sans_domicile",
}
TENANTS = {"tenant", "furnished_tenant", "social_tenant"}

# Rule 6: `activite` follows the situation.
ACTIVITY = {
    "employed": "actif",
    "self_employed": "actif",
    "unemployed": "chomeur",
    "student": "etudiant",
    "retired": "retraite",
    "disabled": "inactif",
    "inactive": "inactif",
    "child": "inactif",
}

# Rule 8: the form's school levels in OpenFisca's `scolarite` (TypesScolarite); `none` is `inconnue`.
SCHOOL_LEVEL = {
    "maternelle": "maternelle",
    "primaire": "primaire",
    "college": "college",
    "lycee": "lycee",
    "superieur": "enseignement_superieur",
    "none": "inconnue",
}

# Rule 2: net incomes whose gross is solved so that OpenFisca's own net equals the declared net.
SOLVED_INCOMES = {
    "salary": ("salaire_de_base", "salaire_net"),
    "pension": ("retraite_brute", "retraite_nette"),
    "unemployment": ("chomage_brut", "chomage_net"),
}
# Incomes given as they are (OpenFisca has a single amount for them).
DIRECT_INCOMES = {
    "disability_pension": "pensions_invalidite",
    "child_support": "pensions_alimentaires_percues",
    "child_support_paid": "pensions_alimentaires_versees_individu",
}
# The form's `other` kind is read as `child_support` (docs/rights-mapping.md, resource kinds).
KIND_ALIASES = {"other": "child_support"}

# Expert's choice (the rules do not say which variables a micro-entrepreneur's turnover goes to): the monthly
# turnover is the auto-entrepreneur's chiffre d'affaires of its kind of activity, the variables every monthly
# minimum (RSA, prime d'activité, ASPA, AAH, CSS) reads through `rpns_auto_entrepreneur_benefice`; on the tax side
# the same turnover is declared, year by year, in the matching box of the versement libératoire regime (5TA, 5TB,
# 5TE: `ebic_impv`, `ebic_imps`, `ebnc_impo`), which is what OpenFisca's monthly variables derive from when they are
# not given. The `microentreprise` part of the rfr reads those boxes.
SELF_EMPLOYED = {
    "sales": ("rpns_auto_entrepreneur_CA_achat_revente", "ebic_impv"),
    "services": ("rpns_auto_entrepreneur_CA_bic", "ebic_imps"),
    "liberal": ("rpns_auto_entrepreneur_CA_bnc", "ebnc_impo"),
}
# Expert's choice: alimony paid to a child who does not live with the payer is declared in box 6GU ("autres pensions
# alimentaires versées", minors), year by year; the monthly amounts are `pensions_alimentaires_versees_individu`,
# which the ASPA, AAH and CSS deduct.
CHILD_SUPPORT_PAID_BOX = "f6gu"

# Rule 4: the aids of the catalogue that the law reads in the past (computed for M and carried back, or declared),
# by entity, and the benefits outside the catalogue that are 0.
PAST_FAMILLE_BENEFITS = ("rsa", "ppa", "aide_logement", "af", "cf", "asf", "paje_base", "aspa")
PAST_INDIVIDU_BENEFITS = ("aah",)
ZERO_BENEFITS = ("caah", "asi", "ass", "rente_accident_travail")


# --- Months and the catalogue ------------------------------------------------------------------------------------


def month_offset(month: str, offset: int) -> str:
    """The month ``offset`` months after ``month`` ("YYYY-MM")."""
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 + offset
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(month: str, first: int, last: int) -> list[str]:
    """The months M+first..M+last (offsets included), in order."""
    return [month_offset(month, offset) for offset in range(first, last + 1)]


def read_catalogue(source: Path = BENEFITS_SOURCE) -> list[dict]:
    """The national catalogue's aids in order: id, variable, period_unit and kind, read from the source of benefits.py
    (not imported: the panel does not depend on Guichet's code)."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    for node in tree.body:
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        if getattr(target, "id", None) == "BENEFITS":
            aids = []
            for call in node.value.elts:
                fields = {kw.arg: kw.value.value for kw in call.keywords if isinstance(kw.value, ast.Constant)}
                aids.append(
                    {
                        "id": fields["id"],
                        "variable": fields["variable"],
                        "period_unit": fields["period_unit"],
                        "kind": fields.get("kind", "amount"),
                    }
                )
            return aids
    raise LookupError(f"no BENEFITS tuple in {source}")


def age_on(birth_date: str, day: datetime.date) -> int:
    """Age in whole years on ``day``."""
    born = datetime.date.fromisoformat(birth_date)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def rounded(value: float, decimals: int = INPUT_DECIMALS) -> float:
    """A float rounded for writing (``-0.0`` written as ``0.0``)."""
    return round(float(value), decimals) + 0.0


def catalogue_amounts(simulation, month: str, catalogue: list[dict]) -> dict[str, float]:
    """Every aid of the catalogue: its variable on M (monthly aids) or on N (yearly aids), summed over the instances of
    its entity in the household, to the cent; for a boolean (the free CSS), the number of eligible instances."""
    result = {}
    for aid in catalogue:
        period = month if aid["period_unit"] == "month" else month[:4]
        values = simulation.calculate(aid["variable"], period)
        if aid["kind"] == "boolean":
            result[aid["id"]] = float(numpy.count_nonzero(values))
        else:
            result[aid["id"]] = round(float(numpy.asarray(values, dtype=numpy.float64).sum()), AMOUNT_DECIMALS)
    return result


# --- The expert's household -------------------------------------------------------------------------------------


class ExpertHousehold:
    """One household of the panel, turned into an OpenFisca-France situation by the rules of docs/rights-mapping.md.

    ``solve()`` runs, in order: the income history (rule 1), the rfr rule (rule 3) around the gross-from-net fixed
    point (rule 2), then the fixed point of the benefits received in the past (rule 4). ``situation()`` is the
    situation at any stage; ``amounts()`` computes the catalogue on it.
    """

    def __init__(self, tbs, month: str, form: dict, catalogue: list[dict]):
        self.tbs = tbs
        self.month = month
        self.year = int(month[:4])
        self.form = form
        self.catalogue = catalogue
        self.months = months_between(month, -HISTORY, 0)
        self.declared_months = months_between(month, -DECLARED, -1)
        self.past_months = months_between(month, -PAST_BENEFITS, -1)
        self.rfr_years = [str(self.year - back) for back in range(RFR_YEARS, 0, -1)]  # N-5..N-1
        self.members = form["members"]
        self.reference = next(m for m in self.members if m["relationship"] == "self")
        self.partner = next((m for m in self.members if m["relationship"] == "partner"), None)
        self.children = [m for m in self.members if m["relationship"] == "child"]
        self.others = [m for m in self.members if m["relationship"] == "other"]
        # Rule 5: self and partner head one famille and one foyer fiscal; each `other` member has their own.
        self.groups = [(self.reference, [m for m in (self.reference, self.partner) if m], self.children)] + [
            (other, [other], []) for other in self.others
        ]
        self.nets = {m["id"]: self.income_history(m) for m in self.members}
        # Rule 2: gross amounts, solved later; the first guess is the net itself.
        self.gross = {
            member_id: {
                SOLVED_INCOMES[kind][0]: dict(series) for kind, series in kinds.items() if kind in SOLVED_INCOMES
            }
            for member_id, kinds in self.nets.items()
        }
        self.rfr = {self.foyer_id(head): {} for head, _, _ in self.groups}
        self.rfr_computed_year: str | None = None  # the year left to OpenFisca while R is solved (rule 3)
        self.past: dict[tuple[str, str, str], float] = {}

    # Entities (rule 5)

    @staticmethod
    def famille_id(head: dict) -> str:
        return f"famille_{head['id']}"

    @staticmethod
    def foyer_id(head: dict) -> str:
        return f"foyer_fiscal_{head['id']}"

    # Rule 1: the income history

    def income_history(self, member: dict) -> dict[str, dict[str, float]]:
        """Net amounts by kind and month, M-36..M: the declared months M-12..M-1; M is the month declared for M, or
        else M-1's; every month before M-12 is the mean of the twelve declared months, kind by kind."""
        resources = {str(month): amounts or {} for month, amounts in (member.get("resources") or {}).items()}

        def by_kind(amounts: dict) -> dict[str, float]:
            merged: dict[str, float] = {}
            for kind, amount in amounts.items():
                kind = KIND_ALIASES.get(kind, kind)
                merged[kind] = merged.get(kind, 0.0) + float(amount or 0.0)
            return merged

        declared = {month: by_kind(resources.get(month, {})) for month in self.declared_months}
        # Expert's choice: when M is declared, its kinds are taken as a whole (a kind missing from M is 0 in M).
        at_m = by_kind(resources[self.month]) if self.month in resources else declared[self.declared_months[-1]]
        kinds = sorted({kind for amounts in [*declared.values(), at_m] for kind in amounts})
        history = {}
        for kind in kinds:
            mean = rounded(sum(declared[month].get(kind, 0.0) for month in self.declared_months) / DECLARED)
            series = {month: mean for month in self.months[: HISTORY - DECLARED]}
            series.update({month: declared[month].get(kind, 0.0) for month in self.declared_months})
            series[self.month] = at_m.get(kind, 0.0)
            history[kind] = series
        return history

    # Rule 8: schooling

    def schooling(self, member: dict) -> tuple[str | None, list[str]]:
        """The `scolarite` of a member and the months it is set on (September of the current school year to M)."""
        level = member.get("school_level")
        if level is None:
            first_day = datetime.date.fromisoformat(self.month + "-01")
            age = age_on(member["birth_date"], first_day)
            if 3 <= age <= 5:
                level = "maternelle"
            elif 6 <= age <= 10:
                level = "primaire"
            elif 11 <= age <= 14:
                level = "college"
            elif 15 <= age <= 17:
                level = "lycee"
            elif age >= 18 and member["situation"] == "student":
                level = "superieur"
            else:
                return None, []
        number = int(self.month[5:])
        september = f"{self.year if number >= 9 else self.year - 1}-09"
        return SCHOOL_LEVEL[level], [month for month in self.months if month >= september]

    # The situation

    def individu(self, member: dict) -> dict:
        member_id = member["id"]
        couple = self.partner is not None and member["relationship"] in ("self", "partner")
        person: dict = {"date_naissance": {"ETERNITY": str(member["birth_date"])}}
        person["activite"] = {month: ACTIVITY[member["situation"]] for month in self.months}
        # Rule 5 says self and partner file jointly "married or PACS". Expert's choice: married (`marie`); OpenFisca
        # only tells the two apart in the ASI/ASPA of a couple where one of them is ASI-eligible.
        person["statut_marital"] = {month: "marie" if couple else "celibataire" for month in self.months}

        # Rule 7: disability.
        rate = member.get("disability_rate")
        if (rate is not None and rate >= 50) or member["situation"] == "disabled":
            person["handicap"] = {month: True for month in self.months}
        if rate is not None:
            person["taux_incapacite"] = {month: rounded(rate / 100) for month in self.months}
        if member.get("employment_restriction"):
            # Expert's choice: the RSDAE is OpenFisca's `aah_restriction_substantielle_durable_acces_emploi`.
            person["aah_restriction_substantielle_durable_acces_emploi"] = {month: True for month in self.months}

        # Rule 6: an unemployed member without a date has been unemployed since before the declared months. Expert's
        # choice: the first day of M-13 (OpenFisca only compares this date with the first day of M-2).
        if member["situation"] == "unemployed":
            since = member.get("unemployed_since") or month_offset(self.month, -DECLARED - 1) + "-01"
            person["date_debut_chomage"] = {"ETERNITY": str(since)}

        level, school_months = self.schooling(member)
        if level is not None:
            person["scolarite"] = {month: level for month in school_months}

        # Rules 1 and 2: incomes.
        nets = self.nets[member_id]
        for kind, (gross_variable, _) in SOLVED_INCOMES.items():
            if kind in nets:
                person[gross_variable] = {m: rounded(v) for m, v in self.gross[member_id][gross_variable].items()}
        for kind, variable in DIRECT_INCOMES.items():
            if kind in nets:
                person[variable] = {m: rounded(v) for m, v in nets[kind].items()}
        if "self_employed" in nets:
            # Expert's choice: a turnover without its kind of activity is taken as services (the commonest).
            monthly, yearly = SELF_EMPLOYED[member.get("self_employed_activity") or "services"]
            person[monthly] = {m: rounded(v) for m, v in nets["self_employed"].items()}
            person[yearly] = {
                year: int(round(sum(v for m, v in nets["self_employed"].items() if m.startswith(year))))
                for year in self.full_years()
            }

        # Rule 4: benefits outside the catalogue are 0; the AAH of the past months is the one received or computed.
        for variable in ZERO_BENEFITS:
            person[variable] = {month: 0.0 for month in self.months}
        for variable in PAST_INDIVIDU_BENEFITS:
            value = self.past.get(("individu", member_id, variable), 0.0)
            person[variable] = {month: rounded(value) for month in self.past_months}
        return person

    def full_years(self) -> list[str]:
        """The calendar years whose twelve months are all in M-36..M-1."""
        first, last = self.months[0], self.months[-2]
        return [
            str(year)
            for year in range(int(first[:4]), int(last[:4]) + 1)
            if f"{year}-01" >= first and f"{year}-12" <= last
        ]

    def situation(self) -> dict:
        """The OpenFisca-France situation of the household at the current stage of the solving."""
        individus = {member["id"]: self.individu(member) for member in self.members}
        familles, foyers = {}, {}
        for head, parents, children in self.groups:
            famille: dict = {"parents": [m["id"] for m in parents], "enfants": [m["id"] for m in children]}
            for variable in PAST_FAMILLE_BENEFITS:
                value = self.past.get(("famille", self.famille_id(head), variable), 0.0)
                famille[variable] = {month: rounded(value) for month in self.past_months}
            familles[self.famille_id(head)] = famille

            foyer: dict = {"declarants": [m["id"] for m in parents], "personnes_a_charge": [m["id"] for m in children]}
            foyer["rfr"] = {
                year: rounded(value)
                for year, value in sorted(self.rfr[self.foyer_id(head)].items())
                if year != self.rfr_computed_year
            }
            paid = [self.nets[m["id"]].get("child_support_paid", {}) for m in parents]
            if any(paid):
                foyer[CHILD_SUPPORT_PAID_BOX] = {
                    year: int(round(sum(v for series in paid for m, v in series.items() if m.startswith(year))))
                    for year in self.full_years()
                }
            foyers[self.foyer_id(head)] = foyer

        housing = self.form["housing"]
        menage: dict = {
            "personne_de_reference": [self.reference["id"]],
            "conjoint": [self.partner["id"]] if self.partner else [],
            "enfants": [m["id"] for m in self.children],
            "autres": [m["id"] for m in self.others],
        }
        # Rule 9: housing on every month from M-36 to M (the chèque énergie reads the status of January).
        menage["statut_occupation_logement"] = {month: HOUSING_STATUS[housing] for month in self.months}
        if housing in TENANTS and self.form.get("monthly_rent") is not None:
            menage["loyer"] = {month: rounded(self.form["monthly_rent"]) for month in self.months}
        menage["coloc"] = {month: bool(self.form.get("shared_tenancy")) for month in self.months}
        menage["depcom"] = {month: str(self.form["commune_insee"]) for month in self.months}
        return {
            "individus": individus,
            "familles": familles,
            "foyers_fiscaux": foyers,
            "menages": {"menage": menage},
        }

    def simulation(self, situation: dict | None = None):
        return SimulationBuilder().build_from_entities(self.tbs, copy.deepcopy(situation or self.situation()))

    # Rule 2: gross from net

    def solve_gross(self) -> int:
        """Solve every gross amount so that OpenFisca's net equals the declared net, month by month (Newton steps on
        OpenFisca's own net, which is piecewise linear in the gross). Returns the number of simulations run."""
        targets = [
            (member_id, kind, month, target)
            for member_id, kinds in self.nets.items()
            for kind, series in kinds.items()
            if kind in SOLVED_INCOMES
            for month, target in series.items()
        ]
        if not targets:
            return 0
        for round_number in range(1, 41):
            simulation = self.simulation()
            ids = list(simulation.persons.ids)
            cache: dict[tuple[str, str], numpy.ndarray] = {}
            worst = 0.0
            for member_id, kind, month, target in targets:
                gross_variable, net_variable = SOLVED_INCOMES[kind]
                if (net_variable, month) not in cache:
                    cache[net_variable, month] = simulation.calculate(net_variable, month)
                net = float(cache[net_variable, month][ids.index(member_id)])
                gross = self.gross[member_id][gross_variable][month]
                error = target - net
                worst = max(worst, abs(error))
                if abs(error) > NET_TOLERANCE / 2:
                    slope = net / gross if gross > 0 and net > 0 else 1.0
                    self.gross[member_id][gross_variable][month] = rounded(max(0.0, gross + error / slope))
            if worst <= NET_TOLERANCE:
                return round_number
        raise RuntimeError(f"gross-from-net did not converge (worst error {worst})")

    # Rule 3: revenu fiscal de référence

    def solve_rfr(self) -> dict:
        """The rfr of every foyer fiscal on N-5..N-1, with the gross amounts solved under it. Returns a log."""
        given_n1 = self.form.get("last_year_taxable_income")
        given_n2 = self.form.get("taxable_income_two_years_ago")
        n1, n2 = self.rfr_years[-1], self.rfr_years[-2]
        free = []
        for head, _, _ in self.groups:
            foyer = self.foyer_id(head)
            # Expert's choice: the tax notices of the form are those of the reference person's foyer fiscal; an
            # `other` member's foyer takes the computed value R of its own incomes.
            if head is self.reference and (given_n1 is not None or given_n2 is not None):
                value_n1 = float(given_n1 if given_n1 is not None else given_n2)
                value_n2 = float(given_n2 if given_n2 is not None else given_n1)
                self.rfr[foyer] = {year: value_n2 for year in self.rfr_years[:-1]} | {n1: value_n1}
            else:
                free.append(foyer)
                self.rfr[foyer] = {year: 0.0 for year in self.rfr_years}
        log = {"gross_rounds": [], "rfr_rounds": 0}
        if not free:
            log["gross_rounds"].append(self.solve_gross())
            return log
        self.rfr_computed_year = n1
        for round_number in range(1, 31):
            log["gross_rounds"].append(self.solve_gross())
            simulation = self.simulation()
            computed = dict(
                zip(simulation.populations["foyer_fiscal"].ids, simulation.calculate("rfr", n1), strict=True)
            )
            changed = False
            for foyer in free:
                value = rounded(computed[foyer])
                if abs(value - self.rfr[foyer][n2]) > 0.005:
                    changed = True
                self.rfr[foyer] = {year: value for year in self.rfr_years}
            if not changed:
                log["rfr_rounds"] = round_number
                self.rfr_computed_year = None
                log["gross_rounds"].append(self.solve_gross())  # R now stands for N-1 too: a last check
                return log
        raise RuntimeError("the rfr rule did not converge")

    # Rule 4: benefits received in the past

    def declared_past(self) -> dict[tuple[str, str, str], float]:
        """The aids declared as received, on their entity: family aids on the reference person's famille; the AAH on
        the reference person if their incapacity rate is 50 % or more, otherwise on the partner."""
        declared = {}
        head = self.famille_id(self.reference)
        for aid, amount in (self.form.get("already_received") or {}).items():
            if aid in PAST_FAMILLE_BENEFITS:
                declared["famille", head, aid] = float(amount)
            elif aid in PAST_INDIVIDU_BENEFITS:
                rate = self.reference.get("disability_rate") or 0
                person = self.reference if rate >= 50 or self.partner is None else self.partner
                declared["individu", person["id"], aid] = float(amount)
            # The other aids of the catalogue (ARS, bourses, CSS, chèque énergie) are read by no formula in the past.
        return declared

    def past_of_month(self, simulation) -> dict[tuple[str, str, str], float]:
        """The amounts for M of the aids the law reads in the past, entity by entity."""
        values = {}
        for variable in PAST_FAMILLE_BENEFITS:
            ids = simulation.populations["famille"].ids
            for famille_id, value in zip(ids, simulation.calculate(variable, self.month), strict=True):
                values["famille", famille_id, variable] = rounded(value)
        for variable in PAST_INDIVIDU_BENEFITS:
            for person_id, value in zip(
                simulation.persons.ids, simulation.calculate(variable, self.month), strict=True
            ):
                values["individu", person_id, variable] = rounded(value)
        return values

    def solve_past(self) -> int:
        """Fixed point: declared aids keep their amount on M-13..M-1; every other aid read in the past takes on those
        months the amount computed for M, from 0 on, until no amount of M changes. Returns the number of rounds.

        Rule 4 also says what to do when two states answer each other instead of settling: keep the one whose aids
        of M read in the past add up to less."""
        declared = self.declared_past()
        self.past = dict(declared)
        previous = None
        states: list[tuple[dict, float]] = []
        for round_number in range(1, 31):
            simulation = self.simulation()
            of_month = self.past_of_month(simulation)
            current = of_month | {("catalogue", aid, ""): value for aid, value in self.amounts(simulation).items()}
            if current == previous:
                return round_number
            states.append((dict(self.past), sum(of_month.values())))
            if len(states) >= 3 and states[-1][0] == states[-3][0]:
                # A cycle of two states: the past of the one whose month adds up to less.
                self.past = min(states[-2:], key=lambda state: state[1])[0]
                return round_number
            previous = current
            self.past = {key: value for key, value in current.items() if key[0] != "catalogue"} | declared
        raise RuntimeError("the past benefits did not reach a fixed point")

    def amounts(self, simulation) -> dict[str, float]:
        return catalogue_amounts(simulation, self.month, self.catalogue)

    def solve(self) -> dict:
        log = self.solve_rfr()
        log["past_rounds"] = self.solve_past()
        return log


# --- The files ----------------------------------------------------------------------------------------------------


class Flow(dict):
    """A mapping written on one line (periods -> values, kinds -> amounts)."""


class PanelDumper(yaml.SafeDumper):
    pass


PanelDumper.add_representer(Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, True))


ROLES = ("parents", "enfants", "declarants", "personnes_a_charge", "personne_de_reference", "conjoint", "autres")
ENTITIES = ("individus", "familles", "foyers_fiscaux", "menages")


def flowed(situation: dict) -> dict:
    """The situation in a stable order (entities, then each entity's roles, then its variables alphabetically, then
    periods in order), every period -> value mapping written on one line."""
    result = {}
    for plural in ENTITIES:
        result[plural] = {}
        for entity_id, entity in situation[plural].items():
            roles = {key: list(entity[key]) for key in ROLES if key in entity}
            variables = {
                key: Flow(sorted(entity[key].items())) for key in sorted(entity) if key not in ROLES and entity[key]
            }
            result[plural][entity_id] = roles | variables
    return result


MEMBER_KEYS = (
    "id",
    "relationship",
    "birth_date",
    "situation",
    "disability_rate",
    "employment_restriction",
    "school_level",
    "unemployed_since",
    "self_employed_activity",
    "resources",
)
FORM_KEYS = (
    "housing",
    "shared_tenancy",
    "commune_insee",
    "monthly_rent",
    "last_year_taxable_income",
    "taxable_income_two_years_ago",
    "already_received",
    "members",
)


def normalized_form(form: dict) -> dict:
    """The household form in its documented key order, dates as strings, resources month by month on one line."""

    def text(value):
        return value.isoformat() if isinstance(value, datetime.date) else value

    members = []
    for member in form["members"]:
        written = {key: text(member.get(key)) for key in MEMBER_KEYS if key != "resources"}
        written["employment_restriction"] = bool(member.get("employment_restriction"))
        written["resources"] = {
            str(month): Flow({kind: float(amount) for kind, amount in amounts.items()})
            for month, amounts in sorted((member.get("resources") or {}).items(), key=lambda item: str(item[0]))
        }
        members.append(written)
    written_form = {key: form.get(key) for key in FORM_KEYS if key != "members"}
    written_form["shared_tenancy"] = bool(form.get("shared_tenancy"))
    written_form["already_received"] = Flow(
        {aid: float(amount) for aid, amount in (form.get("already_received") or {}).items()}
    )
    written_form["members"] = members
    return written_form


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write(path: Path, record: dict) -> None:
    document = {
        "name": record["name"],
        "note": record["note"],
        "month": str(record["month"]),
        "household": normalized_form(record["household"]),
        "expected": record["expected"],
        "situation": flowed(record["situation"]),
    }
    text = yaml.dump(document, Dumper=PanelDumper, sort_keys=False, allow_unicode=True, width=10_000)
    path.write_text(text, encoding="utf-8")


def generate(tbs, path: Path, catalogue: list[dict]) -> dict:
    """Rewrite one household file's `situation` and `expected`; returns what was done."""
    record = load(path)
    record["household"] = yaml.safe_load(
        yaml.dump(normalized_form(record["household"]), Dumper=PanelDumper, sort_keys=False)
    )
    expert = ExpertHousehold(tbs, str(record["month"]), record["household"], catalogue)
    log = expert.solve()
    situation = flowed(expert.situation())
    situation = yaml.safe_load(yaml.dump(situation, Dumper=PanelDumper, sort_keys=False))  # exactly what is written
    expected = expert.amounts(expert.simulation(situation))
    record["situation"], record["expected"] = situation, expected
    write(path, record)
    return {"log": log, "expected": expected, "rfr": {f: r for f, r in expert.rfr.items()}}


def parameter_value(parameters, path: str, instant: str) -> float:
    """A scalar parameter of OpenFisca-France's tree at an instant ("YYYY-MM-DD")."""
    node = parameters(instant)
    for name in path.split("."):
        node = node[name]
    return float(node)


def plain_reference(request: dict) -> dict:
    """What the panel's test needs from plain OpenFisca, computed in this (clean) process: the catalogue read from
    benefits.py, the amounts of every stored situation, and the parameters asked for (``path@instant``)."""
    tbs = CountryTaxBenefitSystem()
    catalogue = read_catalogue()
    amounts = {}
    for name in request.get("households", []):
        record = load(HOUSEHOLDS / f"{name}.yaml")
        simulation = SimulationBuilder().build_from_entities(tbs, record["situation"])
        amounts[name] = catalogue_amounts(simulation, str(record["month"]), catalogue)
    parameters = {
        f"{path}@{instant}": parameter_value(tbs.parameters, path, instant)
        for path, instant in request.get("parameters", [])
    }
    return {"catalogue": catalogue, "amounts": amounts, "parameters": parameters}


def main(arguments: list[str]) -> None:
    if arguments[:1] == ["--plain"]:
        # Used by test_panel_reference.py: a JSON request on stdin, the answer on stdout.
        json.dump(plain_reference(json.load(sys.stdin)), sys.stdout)
        return
    slugs = arguments
    start = time.perf_counter()
    tbs = CountryTaxBenefitSystem()
    catalogue = read_catalogue()
    paths = [HOUSEHOLDS / f"{slug}.yaml" for slug in slugs] if slugs else sorted(HOUSEHOLDS.glob("*.yaml"))
    for path in paths:
        began = time.perf_counter()
        done = generate(tbs, path, catalogue)
        granted = {aid: amount for aid, amount in done["expected"].items() if amount}
        print(f"{path.stem}: {granted} ({done['log']}, {time.perf_counter() - began:.1f} s)", flush=True)
    print(f"{len(paths)} households in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
