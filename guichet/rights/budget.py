"""What one request to the public rights API may ask, checked before anything is computed.

A few hundred bytes of OpenFisca situation can ask for years of computations (each month of the RSA reads three
past months, each of those its own...) or for a family of 100,000 persons. Every request is therefore measured
before it is parsed or computed: body size, JSON depth and the length of its integers (``parse_json``), then for an
OpenFisca situation the persons and group instances, the computations asked (a variable on a period; a monthly
variable asked on a year counts its twelve months) and how far their periods reach (``check_situation``). Over
budget answers a 4xx with a message saying which limit; the limits are settings (``RIGHTS_API_*``), published in the
OpenAPI document. What passes is then computed under a time limit (``engine.deadline``).
"""

import dataclasses
import datetime
import json

from django.conf import settings
from django.utils.translation import gettext as _

from guichet.rights.engine.system import get_tax_benefit_system

MAX_DEPTH = 12  # an OpenFisca situation is 5 deep (plural, instance, variable, period, value); lists add one
MAX_INTEGER_DIGITS = 20
MAX_SPAN_MONTHS = 12  # a monthly variable asked on one period covers at most a year of months
PLURALS = ("individus", "familles", "foyers_fiscaux", "menages")


class OverBudget(Exception):
    """A request that asks more than one request may: ``status`` (413 or 400) and a message for people."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclasses.dataclass(frozen=True)
class Limits:
    """The budget of one request, from the settings."""

    max_bytes: int
    max_persons: int
    max_instances: int
    max_computations: int
    max_periods: int
    years_back: int
    years_ahead: int
    time_limit: float

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            max_bytes=settings.RIGHTS_API_MAX_BYTES,
            max_persons=settings.RIGHTS_API_MAX_PERSONS,
            max_instances=settings.RIGHTS_API_MAX_INSTANCES,
            max_computations=settings.RIGHTS_API_MAX_COMPUTATIONS,
            max_periods=settings.RIGHTS_API_MAX_PERIODS,
            years_back=settings.RIGHTS_API_YEARS_BACK,
            years_ahead=settings.RIGHTS_API_YEARS_AHEAD,
            time_limit=settings.RIGHTS_API_TIME_LIMIT_SECONDS,
        )

    def as_dict(self) -> dict:
        """For the OpenAPI document."""
        return dataclasses.asdict(self)


def check_size(content_length: str | int | None, limits: Limits) -> None:
    """Refuse a body announced larger than the budget, before reading it (413)."""
    try:
        size = int(content_length or 0)
    except (TypeError, ValueError):
        size = 0
    if size > limits.max_bytes:
        raise OverBudget(_("Requête trop grande : %(max)s Ko au plus.") % {"max": limits.max_bytes // 1024}, 413)


def _too_deep(body: bytes, limit: int) -> bool:
    """Whether the JSON nests arrays and objects more than ``limit`` deep (strings skipped), without recursion."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise OverBudget(_("Un nombre entier a plus de %(digits)s chiffres.") % {"digits": MAX_INTEGER_DIGITS})
    return int(text)


def _no_constant(name: str) -> None:
    raise OverBudget(_("Valeur non permise en JSON : %(name)s.") % {"name": name})


def read_body(request) -> bytes:
    """The request's body, refused (413) when Django would not read it whole (over DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    from django.core.exceptions import RequestDataTooBig

    try:
        return request.body
    except RequestDataTooBig as exc:
        raise OverBudget(_("Requête trop grande."), 413) from exc


def parse_json(body: bytes, limits: Limits) -> object:
    """The JSON of a request body, within the budget's size, depth and integer length; raises ``OverBudget``."""
    if len(body) > limits.max_bytes:
        raise OverBudget(_("Requête trop grande : %(max)s Ko au plus.") % {"max": limits.max_bytes // 1024}, 413)
    if _too_deep(body, MAX_DEPTH):
        raise OverBudget(_("Le JSON est imbriqué sur plus de %(depth)s niveaux.") % {"depth": MAX_DEPTH})
    try:
        return json.loads(body or b"null", parse_int=_bounded_int, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OverBudget(_("Le corps de la requête n'est pas du JSON valide : %(error)s") % {"error": exc}) from exc


def _months_of(variable, text: str) -> int:
    """How many computations of ``variable`` a request on the period ``text`` costs (a monthly variable asked on a
    year: twelve); raises ``ValueError`` on a period OpenFisca would refuse (it answers that itself)."""
    from openfisca_core import periods

    period = periods.period(text)
    if variable.definition_period == periods.DateUnit.MONTH and period.unit != periods.DateUnit.MONTH:
        return max(1, len(period.get_subperiods(periods.DateUnit.MONTH)))
    if variable.definition_period == periods.DateUnit.MONTH:
        return period.size
    return 1


def check_situation(payload: dict, limits: Limits, local_aid_ids: frozenset[str] = frozenset()) -> None:
    """Refuse an OpenFisca situation that asks more than the budget (persons, instances, computations, periods)."""
    instances = {plural: payload.get(plural) for plural in PLURALS}
    persons = instances["individus"]
    if isinstance(persons, dict) and len(persons) > limits.max_persons:
        raise OverBudget(_("Une situation compte au plus %(max)s personnes.") % {"max": limits.max_persons})
    for plural in PLURALS[1:]:
        groups = instances[plural]
        if isinstance(groups, dict) and len(groups) > limits.max_instances:
            raise OverBudget(
                _("Une situation compte au plus %(max)s %(entity)s.") % {"max": limits.max_instances, "entity": plural}
            )
    variables = get_tax_benefit_system().variables
    today = datetime.date.today()
    first, last = today.year - limits.years_back, today.year + limits.years_ahead
    computations = 0
    asked: set[str] = set()
    for plural in PLURALS:
        for by_variable in (instances[plural] or {}).values() if isinstance(instances[plural], dict) else ():
            if not isinstance(by_variable, dict):
                continue
            for name, by_period in by_variable.items():
                if not isinstance(by_period, dict):
                    continue
                for period, value in by_period.items():
                    if value is not None or not isinstance(period, str):
                        continue
                    variable = variables.get(name)
                    if variable is None and name not in local_aid_ids:
                        continue  # OpenFisca answers an unknown variable itself (404)
                    try:
                        cost = 1 if variable is None else _months_of(variable, period)
                        year = int(period[:4]) if period[:4].isdigit() else int(period.split(":")[1][:4])
                    except (ValueError, IndexError):
                        continue  # OpenFisca answers a malformed period itself (400)
                    if cost > MAX_SPAN_MONTHS:
                        raise OverBudget(
                            _("Une période demandée couvre au plus %(max)s mois ; %(period)s en couvre %(n)s.")
                            % {"max": MAX_SPAN_MONTHS, "period": period, "n": cost}
                        )
                    if not first <= year <= last:
                        raise OverBudget(
                            _("Les périodes demandées vont de %(first)s à %(last)s ; %(period)s n'en fait pas partie.")
                            % {"first": first, "last": last, "period": period}
                        )
                    computations += cost
                    asked.add(period)
    if computations > limits.max_computations:
        raise OverBudget(
            _(
                "Une requête demande au plus %(max)s calculs (une variable sur une période) ; "
                "celle-ci en demande %(n)s."
            )
            % {"max": limits.max_computations, "n": computations}
        )
    if len(asked) > limits.max_periods:
        raise OverBudget(
            _("Une requête demande au plus %(max)s périodes différentes ; celle-ci en demande %(n)s.")
            % {"max": limits.max_periods, "n": len(asked)}
        )
