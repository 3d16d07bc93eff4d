"""Readable explanations of one aid for one household, derived from OpenFisca's trace (CRPA L311-3-1).

The raw trace of a single aid weighs megabytes; an explanation keeps what a person (or an agent) needs: the inputs
that were used, the parameters applied with their values and legal references (from OpenFisca's parameter
metadata), a few key figures, the engine and model versions, and, when the aid is not due, a plain-language reason
where one can be derived (resources above the ceiling, age, housing...). It stays well under 100 KB of JSON.
"""

from collections import deque
from collections.abc import Mapping

import numpy
from django.utils.translation import gettext as _
from openfisca_core.parameters import ParameterNode
from openfisca_core.simulations import Simulation
from openfisca_core.tracers import FlatTrace, TraceNode

from guichet.rights.engine import local, mapping
from guichet.rights.engine.accel import build, fold
from guichet.rights.engine.benefits import BENEFITS_BY_ID, Benefit
from guichet.rights.engine.situation import HouseholdInput
from guichet.rights.engine.system import get_tax_benefit_system, versions

MAX_PARAMETERS = 40
MAX_INPUTS = 30


def euros(value: float) -> str:
    """French money format: ``1 234,50 €``, ``600 €``."""
    rounded = round(float(value), 2)
    text = f"{rounded:,.2f}".replace(",", "\u202f").replace(".", ",")
    if text.endswith(",00"):
        text = text[:-3]
    return f"{text}\u00a0€"


def _jsonable(value: object) -> object:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    if isinstance(value, numpy.ndarray):
        return [_jsonable(item) for item in value.tolist()]
    if isinstance(value, numpy.generic):
        return value.item()
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, int | bool | str) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return str(value)


def _references(metadata: Mapping, instant: str = "9999-12-31") -> list[str]:
    reference = metadata.get("reference")
    if reference is None:
        return []
    if isinstance(reference, str):
        return [reference]
    if isinstance(reference, Mapping):  # {date: references}: the one in force at the instant
        dates = sorted(reference, key=str)
        applicable = [date for date in dates if str(date) <= instant] or dates[:1]
        return _references({"reference": reference[applicable[-1]]})
    if isinstance(reference, list):
        found = []
        for item in reference:
            if isinstance(item, Mapping):
                found.extend(str(value) for value in (item.get("title"), item.get("href")) if value)
            else:
                found.append(str(item))
        return found
    return [str(reference)]


def _parameter_metadata(name: str, instant: str) -> dict:
    node = get_tax_benefit_system().parameters
    for part in name.split("."):
        try:
            node = node.children[part] if isinstance(node, ParameterNode) else getattr(node, part)
        except (KeyError, AttributeError):
            return {}
    metadata = getattr(node, "metadata", {}) or {}
    return {
        "description": getattr(node, "description", None) or "",
        "references": _references(metadata, instant)[:3],
    }


def _instance_ids(simulation: Simulation, entity_key: str) -> list[str]:
    return [str(item) for item in simulation.populations[entity_key].ids]


def _first_nodes(simulation: Simulation, labels: dict | None = None) -> dict[tuple[str, str], TraceNode]:
    """The nodes of OpenFisca's flat trace by key (variable, period as text), without serialising every value.

    As ``FlatTrace.get_trace``: the first node of a key in the trace's order wins (a calculation comes before the
    cache reads of its value). ``labels``: periods already written as text, by period (filled here).
    """
    labels = {} if labels is None else labels
    first: dict[tuple[str, str], TraceNode] = {}
    pending = list(reversed(simulation.tracer.trees))  # ``browse_trace``'s order, without nested generators
    while pending:
        node = pending.pop()
        label = labels.get(node.period)
        if label is None:
            label = labels[node.period] = str(node.period)
        first.setdefault((node.name, label), node)
        pending.extend(reversed(node.children))
    return first


def _trace_summary(
    simulation: Simulation,
    root: tuple[str, str],
    input_keys: set[tuple[str, str]],
    given: fold.Traced,
) -> tuple[list[dict], list[dict]]:
    """Walk the trace breadth-first from ``root``: inputs reached and parameters applied (nearest first).

    ``given``: what the trace of nodes the speed layer gave without running their formula would have held
    (``fold.traced``).
    """
    labels: dict[object, str] = {}

    def label(period: object) -> str:
        text = labels.get(period)
        if text is None:
            text = labels[period] = str(period)
        return text

    trace = _first_nodes(simulation, labels)
    tbs = simulation.tax_benefit_system
    prefix = root[0].split("_")[0]
    seen = {root}
    queue = deque([root])
    inputs: dict[str, dict] = {}
    ids: dict[str, list[str]] = {}
    # The first read of each parameter: whether the aid's own formulas (same name prefix) read it, instant, value.
    found: dict[str, tuple[bool, str, object]] = {}
    while queue:
        key = queue.popleft()
        subtree = given.subtrees.get(key)
        node = trace.get(key)
        if subtree is None and node is None:
            continue
        name, period = key
        if subtree is not None:
            children, accessed = subtree
        else:
            children = [(child.name, label(child.period)) for child in node.children]
            accessed = given.parameters.get(key)
            if accessed is None:
                # As the flat trace: one entry per parameter and instant, the last value read (in the first read's
                # place).
                accessed = {
                    (parameter.name, label(parameter.period)): parameter.value for parameter in node.parameters
                }
        if node is not None and key in input_keys and len(inputs) < MAX_INPUTS * 13:
            variable = tbs.variables[name]
            entity = variable.entity.key
            entry = inputs.setdefault(
                name, {"variable": name, "label": variable.label, "entity": entity, "values": {}}
            )
            if entity not in ids:
                ids[entity] = _instance_ids(simulation, entity)
            values = node.value
            if hasattr(values, "decode_to_str"):
                values = values.decode_to_str()
            for instance, value in zip(ids[entity], numpy.asarray(values).tolist(), strict=False):
                entry["values"].setdefault(instance, {})[period] = _jsonable(value)
        for (parameter_name, instant), value in accessed.items():
            if parameter_name not in found:
                found[parameter_name] = (name.startswith(prefix), instant, value)
        for dependency in children:
            if dependency not in seen:
                seen.add(dependency)
                queue.append(dependency)
    kept = []
    for entry in inputs.values():
        # Zeros and defaults (no salary this month, no benefit received...) say little: keep what was declared.
        default = _jsonable(tbs.variables[entry["variable"]].default_value)
        values = {
            instance: dict(sorted(by_period.items()))
            for instance, by_period in entry["values"].items()
            if any(value not in (0, 0.0, False, default) for value in by_period.values())
        }
        if values:
            kept.append({**entry, "values": values})
    # The aid's own parameters first; the values and references of those shown only (hundreds are reached).
    ranked = sorted(found.items(), key=lambda item: not item[1][0])[:MAX_PARAMETERS]
    parameters = [
        {
            "name": parameter_name,
            "instant": instant,
            "value": _jsonable(FlatTrace.serialize(value)),
            **_parameter_metadata(parameter_name, instant),
        }
        for parameter_name, (_own, instant, value) in ranked
    ]
    return kept[:MAX_INPUTS], parameters


def _input_keys(situation: dict) -> set[tuple[str, str]]:
    keys = set()
    for instances in situation.values():
        for variables in instances.values():
            for name, values in variables.items():
                if isinstance(values, dict):
                    keys.update((name, str(period)) for period in values)
    return keys


def _value(simulation: Simulation, variable: str, period: str, index: int = 0) -> float:
    return float(numpy.asarray(simulation.calculate(variable, period))[index])


def _reason(simulation: Simulation, benefit: Benefit, period_month: str) -> tuple[str | None, dict]:
    """A plain-language reason why an aid is not due, and the figures it is based on (main famille: index 0)."""
    month = period_month
    if benefit.id == "rsa":
        if not _value(simulation, "rsa_eligibilite", month):
            return _("Le RSA est réservé aux personnes de 25 ans ou plus, sauf parents et jeunes actifs."), {}
        resources = _value(simulation, "rsa_base_ressources", month)
        socle = max(_value(simulation, "rsa_socle", month), _value(simulation, "rsa_socle_majore", month))
        ceiling = socle - _value(simulation, "rsa_forfait_logement", month)
        figures = {"base_ressources": round(resources, 2), "plafond": round(ceiling, 2)}
        if resources >= ceiling:
            return _(
                "Vos ressources (%(resources)s par mois en moyenne sur les trois derniers mois) dépassent le "
                "plafond de %(ceiling)s par mois pour votre foyer."
            ) % {"resources": euros(resources), "ceiling": euros(ceiling)}, figures
        return None, figures
    if benefit.id == "ppa":
        if not _value(simulation, "ppa_eligibilite", month):
            return _(
                "La prime d'activité est réservée aux personnes de 18 ans ou plus qui ne sont pas étudiantes."
            ), {}
        activity = _value(simulation, "ppa_revenu_activite", month)
        resources = _value(simulation, "ppa_base_ressources", month)
        forfait = _value(simulation, "ppa_montant_forfaitaire_familial_non_majore", month)
        figures = {"revenus_activite": round(activity, 2), "base_ressources": round(resources, 2)}
        figures["montant_forfaitaire"] = round(forfait, 2)
        if activity <= 0:
            return _("La prime d'activité est réservée aux personnes qui ont des revenus d'activité."), figures
        return _(
            "Vos ressources (%(resources)s par mois en moyenne sur les trois derniers mois) sont trop élevées : "
            "la prime calculée pour votre foyer, à partir d'un montant forfaitaire de %(ceiling)s, est nulle."
        ) % {"resources": euros(resources), "ceiling": euros(forfait)}, figures
    if benefit.id == "aide_logement":
        occupation = simulation.calculate("statut_occupation_logement", month).decode_to_str()
        if occupation[0] not in ("locataire_vide", "locataire_hlm", "locataire_meuble", "locataire_foyer"):
            return _("Les aides au logement sont versées aux locataires et à certains accédants à la propriété."), {}
        rent = _value(simulation, "aide_logement_loyer_retenu", month)
        ceiling = _value(simulation, "aide_logement_loyer_plafond", month)
        participation = _value(simulation, "aide_logement_participation_personnelle", month)
        resources = _value(simulation, "aide_logement_base_ressources", month)
        figures = {
            "base_ressources_annuelles": round(resources, 2),
            "loyer_retenu": round(rent, 2),
            "plafond_loyer": round(ceiling, 2),
            "participation_personnelle": round(participation, 2),
        }
        return _(
            "Vos ressources (%(resources)s sur douze mois) sont trop élevées : votre participation personnelle "
            "(%(participation)s par mois) dépasse le loyer pris en compte (%(rent)s par mois, plafond de "
            "%(ceiling)s)."
        ) % {
            "resources": euros(resources),
            "participation": euros(participation),
            "rent": euros(rent),
            "ceiling": euros(ceiling),
        }, figures
    return _("D'après les informations données, les conditions de cette aide ne sont pas remplies."), {}


def explain_benefit(household: HouseholdInput, benefit_id: str, period_month: str) -> dict:
    """Explain one national aid of the catalogue for one household and one month."""
    benefit = BENEFITS_BY_ID[benefit_id]
    situation = mapping.situation_dict(household, period_month)
    tbs = get_tax_benefit_system()
    simulation = build.build_from_entities(tbs, situation)
    simulation.trace = True
    period = benefit.period_for(period_month)
    try:
        # Only what depends on the household is computed and traced; what does not is the same for every household
        # of its shape, and was traced once (``fold.traced``).
        with fold.traced(simulation, ("explain", benefit.id, period_month)) as given:
            values = numpy.asarray(simulation.calculate(benefit.variable, period), dtype=numpy.float64)
            amount = round(float(values.sum()), 2)
            eligible = amount > 0
            reason, figures = None, {}
            if not eligible or benefit.id in ("rsa", "ppa"):
                # Mostly values the aid computed already. Asked for after it, they add nothing to its part of the
                # trace.
                reason, figures = _reason(simulation, benefit, period_month)
                reason = None if eligible else reason
        inputs, parameters = _trace_summary(simulation, (benefit.variable, period), _input_keys(situation), given)
    finally:
        build.release(simulation)
    return {
        "aid": benefit.id,
        "label": str(benefit.label),
        "period": period,
        "amount": amount,
        "eligible": eligible,
        "reason": reason,
        "figures": figures,
        "inputs": inputs,
        "parameters": parameters,
        "references": benefit.references,
        "claim": benefit.as_dict(),
        "versions": versions(),
    }


def explain_local_aid(household: HouseholdInput, aid_id: str, period_month: str) -> dict:
    """Explain one local aid for one household: per member, the value, the band applied or the unmet condition."""
    aid = local.local_aids()[aid_id]
    batch = mapping.build_batch([household], period_month)
    try:
        features = mapping.person_features(batch.simulation, period_month, local.benefits_needed([aid]))
    finally:
        build.release(batch.simulation)
    result = local.evaluate(aid, features, period_month)
    members = {}
    for person, member_id in enumerate(batch.person_member_id):
        band = int(result.band[person])
        members[member_id] = {
            "value": round(float(result.value[person]), 2),
            "eligible": bool(result.eligible[person]),
            "band": aid.bands[band].label if band >= 0 else None,
            "reason": None if result.eligible[person] else _local_reason(aid, features, person, period_month),
            "inputs": {
                "age": int(features["age"][person]),
                "commune": str(features["commune"][person]),
                "quotient_familial": round(float(features["qf"][person]), 2),
                **{key: bool(value[person]) for key, value in features.items() if key.startswith("receives:")},
            },
        }
    return {
        "aid": aid.id,
        "label": aid.label,
        "period": period_month,
        "eligible": any(member["eligible"] for member in members.values()),
        "members": members,
        "deliberation": {key: str(value) for key, value in aid.deliberation.items()},
        "definition": aid.as_dict(),
        "versions": {**versions(), "rules_version": local.rules_version()},
    }


def _local_reason(aid: local.LocalAid, features: Mapping, person: int, period_month: str) -> str:
    if not aid.valid_on(period_month):
        return _("Cette aide n'est pas en vigueur pour ce mois.")
    conditions = aid.conditions
    if "communes" in conditions and features["commune"][person] not in conditions["communes"]:
        return _("Cette aide est réservée aux habitants des communes de la Métropole.")
    age = int(features["age"][person])
    if age < conditions.get("age_min", 0) or age > conditions.get("age_max", 200):
        return _("Cette aide est réservée aux personnes de %(min)s à %(max)s ans.") % {
            "min": int(conditions.get("age_min", 0)),
            "max": int(conditions.get("age_max", 120)),
        }
    ceilings = [band.when["qf_max"] for band in aid.bands if "qf_max" in band.when]
    if ceilings and features["qf"][person] > max(ceilings):
        return _("Votre quotient familial (%(qf)s) dépasse le plafond de %(ceiling)s.") % {
            "qf": euros(features["qf"][person]),
            "ceiling": euros(max(ceilings)),
        }
    return _("D'après les informations données, les conditions de cette aide ne sont pas remplies.")


def explain(household: HouseholdInput, aid_id: str, period_month: str) -> dict:
    """Explain a national aid (catalogue id) or a local aid (local aid id) for one household."""
    if aid_id in BENEFITS_BY_ID:
        return explain_benefit(household, aid_id, period_month)
    return explain_local_aid(household, aid_id, period_month)


def reasons_not_eligible(household: HouseholdInput, benefit_ids: list[str], period_month: str) -> dict[str, str]:
    """Plain-language reasons for several aids not due, from ONE simulation without trace (for a results page)."""
    if not benefit_ids:
        return {}
    situation = mapping.situation_dict(household, period_month)
    simulation = build.build_from_entities(get_tax_benefit_system(), situation)
    reasons = {}
    try:
        with fold.folding(simulation, ("reasons", tuple(benefit_ids))):
            for benefit_id in benefit_ids:
                reason, _figures = _reason(simulation, BENEFITS_BY_ID[benefit_id], period_month)
                if reason:
                    reasons[benefit_id] = reason
    finally:
        build.release(simulation)
    return reasons
