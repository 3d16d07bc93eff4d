"""Gross and taxable incomes from the nets people declare, and the revenus fiscaux de référence, by OpenFisca.

People know their net salary, pension or unemployment benefit; the law's formulas read gross, net or taxable amounts
depending on the aid (ASPA counts the gross pension and salary, housing aid the taxable incomes, RSA and prime
d'activité the nets). As an expert does (``docs/rights-mapping.md``, rules 2 and 3), the gross amount of each month
is solved so that OpenFisca's own net equals the declared net, and the taxable amount is OpenFisca's, derived from
that gross. Nothing here states a rate: OpenFisca-France's contribution formulas are run.

* **Salaries**: the form asks nothing that changes an employee's contributions (status, working time, company), so
  an employee's salary is OpenFisca's default employee's: solved once per process for each net amount and each
  *regime* of months, on a person alone (``_salaries``, kept in ``_salary_cache``). Months of one regime give the
  same net salary for any gross salary: they share every probe's net and taxable salary (``salary_regime``, probes
  from a quarter of the social security ceiling to nine times it, across every threshold of the contribution
  scales); a regime usually lasts a calendar year. An employee's contributions are the most expensive part of
  OpenFisca-France to compute for a household; they are computed for a few months instead of 37.
* **Pensions and unemployment benefit**: their CSG rate depends on the household's revenu fiscal de référence and
  tax shares, and unemployment benefit has an exemption floor, so they are solved in the household's own context:
  a secant iteration, per person and month, vectorised over the batch, from the origin (nets are proportional to
  gross amounts over wide ranges, so the first step usually lands on the solution).
"""

import dataclasses
import functools

import numpy

from guichet.rights.engine.accel import build, fold
from guichet.rights.engine.mapping.inputs import RELATIONSHIP_ORDER, Inputs, Layout, simulate, window_months
from guichet.rights.engine.situation import RESOURCE_ORDER, HouseholdColumns
from guichet.rights.engine.system import get_tax_benefit_system


@dataclasses.dataclass(frozen=True)
class Solved:
    """One kind of income solved from its net: the OpenFisca variables of its gross, net and taxable amounts."""

    kind: str
    gross: str
    net: str
    taxable: str


SALARY = Solved("salary", "salaire_de_base", "salaire_net", "salaire_imposable")
UNEMPLOYMENT = Solved("unemployment", "chomage_brut", "chomage_net", "chomage_imposable")
PENSION = Solved("pension", "retraite_brute", "retraite_nette", "retraite_imposable")
SOLVED = (SALARY, UNEMPLOYMENT, PENSION)
RFR_YEARS = 5  # N-1 .. N-5: the CSG rate of a month of N-3 reads the rfr of N-5
MAX_STEPS = 40
SALARY_FIRST_RATIO = 1.27  # gross per euro of net salary to start from (an employee's contributions: about a fifth)
MAX_RFR_ROUNDS = 8


def tolerance(target: numpy.ndarray) -> numpy.ndarray:
    """How close OpenFisca's net should come to the declared one: what its float32 amounts can hold (a few hundredths
    of a cent), so that the gross amount is the one any careful solving finds."""
    return numpy.maximum(0.0002, numpy.abs(target) * 4e-7)


ENOUGH = 0.002  # euros (a millionth of larger amounts): the net OpenFisca computes sums many float32
# contributions; near some amounts it moves by steps of a tenth of a cent whatever the gross, so the closest gross met
# is kept when ``tolerance`` is out of reach
NARROW = 1e-7  # relative width of a bracket that can shrink no more: the net jumps over the declared one there


class _Root:
    """The gross amounts whose OpenFisca net is the declared one, per cell, found by a safeguarded regula falsi.

    Every net OpenFisca computes is at most its gross (contributions are taken off) and grows with it, by steps
    where a floor holds it (the CSG exemption of unemployment benefit): the gross lies between 0 and wherever the
    net first reaches the target. Each step tries the regula falsi point of the bracket (the Illinois variant, so
    that a flat side does not stall it), and keeps the closest gross met. Where the net jumps over the target (no
    gross gives it exactly), the smallest gross whose net reaches it is kept.
    """

    def __init__(self, targets: numpy.ndarray, cells: numpy.ndarray) -> None:
        self.targets = targets
        self.cells = cells & (targets > 0)
        self.low = numpy.zeros_like(targets)
        self.low_error = -targets.copy()
        self.high = numpy.full(targets.shape, numpy.nan)
        self.high_error = numpy.full(targets.shape, numpy.nan)
        self.high_taxable = numpy.zeros_like(targets)
        self.side = numpy.zeros(targets.shape, dtype=numpy.int8)  # the side kept last (-1 low, 1 high)
        self.best = numpy.zeros_like(targets)
        self.best_error = numpy.where(self.cells, numpy.inf, 0.0)
        self.best_taxable = numpy.zeros_like(targets)

    def first(self, ratio: numpy.ndarray | float = 1.0) -> numpy.ndarray:
        """The first gross amounts to try: the targets times a gross-per-net ratio."""
        return numpy.where(self.cells, self.targets * ratio, 0.0)

    def meet(
        self, gross: numpy.ndarray, net: numpy.ndarray, taxable: numpy.ndarray, observed: numpy.ndarray | bool = True
    ) -> numpy.ndarray:
        """Learn from OpenFisca's nets for ``gross`` where ``observed``; return the next gross amounts to try."""
        cells = self.cells & observed
        error = numpy.where(cells, net - self.targets, 0.0)
        closer = cells & (numpy.abs(error) < self.best_error)
        self.best = numpy.where(closer, gross, self.best)
        self.best_error = numpy.where(closer, numpy.abs(error), self.best_error)
        self.best_taxable = numpy.where(closer, taxable, self.best_taxable)
        above = cells & (error >= 0)
        below = cells & (error < 0)
        # Illinois: the side kept twice running has its error halved, so that the next point moves off it.
        self.low_error = numpy.where(above & (self.side == -1), self.low_error / 2, self.low_error)
        self.high_error = numpy.where(below & (self.side == 1), self.high_error / 2, self.high_error)
        self.high = numpy.where(above, gross, self.high)
        self.high_error = numpy.where(above, error, self.high_error)
        self.high_taxable = numpy.where(above, taxable, self.high_taxable)
        self.low = numpy.where(below, gross, self.low)
        self.low_error = numpy.where(below, error, self.low_error)
        self.side = numpy.where(above, -1, numpy.where(below, 1, self.side)).astype(numpy.int8)
        bracketed = ~numpy.isnan(self.high)
        high = numpy.where(bracketed, self.high, 0.0)
        span = numpy.where(bracketed, self.high_error - self.low_error, 1.0)
        falsi = self.low - self.low_error * (high - self.low) / numpy.where(span > 0, span, 1.0)
        # Not bracketed yet: the net is below the target; aim past it by the ratio seen so far.
        positive = cells & (net > 0)
        reach = numpy.where(positive, gross * self.targets / numpy.where(positive, net, 1.0), gross * 2) * 1.01
        following = numpy.where(bracketed, falsi, numpy.maximum(reach, gross * 1.01))
        return numpy.where(cells, following, numpy.where(self.cells, gross, 0.0))

    def open_months(self) -> numpy.ndarray:
        """The months (columns) where a cell is not settled yet."""
        return (self.cells & ~self._settled_cells()).any(axis=0)

    def settled(self) -> bool:
        """Whether every cell's net is as close to the declared one as float32 allows (or can get no closer)."""
        return bool(self._settled_cells().all())

    def _settled_cells(self) -> numpy.ndarray:
        return (self.best_error <= tolerance(self.targets)) | self._narrow()

    def _narrow(self) -> numpy.ndarray:
        bracketed = ~numpy.isnan(self.high)
        width = numpy.where(bracketed, self.high - self.low, numpy.inf)
        return bracketed & (width <= NARROW * numpy.maximum(numpy.nan_to_num(self.high), 1.0))

    def result(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        """(gross, taxable) per cell: the closest gross met or, where the net jumps over the declared one, the
        smallest gross met whose net reaches it; raises ``ValueError`` where neither was found."""
        far = self.best_error > numpy.maximum(ENOUGH, numpy.abs(self.targets) * 1e-6)
        jump = self.cells & far & self._narrow()
        if (self.cells & far & ~jump).any():
            raise ValueError("the gross incomes could not be solved from the declared nets")
        return numpy.where(jump, self.high, self.best), numpy.where(jump, self.high_taxable, self.best_taxable)


def rfr_years(period_month: str) -> list[str]:
    """The years whose revenu fiscal de référence is set: N-1 .. N-5."""
    year = int(period_month[:4])
    return [str(year - back) for back in range(1, RFR_YEARS + 1)]


# ---------------------------------------------------------------------------------------------------------------
# Revenus fiscaux de référence


def given_rfr(columns: HouseholdColumns, lay: Layout) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The rfr of N-1 and N-2 of each foyer fiscal as given (rule 3), NaN when the household gave neither.

    Only the main foyer of a household can have given them: an ``other`` member's foyer never has.
    """
    last, before = columns.last_year_taxable_income, columns.taxable_income_two_years_ago
    last, before = numpy.where(numpy.isnan(last), before, last), numpy.where(numpy.isnan(before), last, before)
    n1 = numpy.full(lay.group_count, numpy.nan)
    n2 = numpy.full(lay.group_count, numpy.nan)
    n1[lay.main_famille] = last
    n2[lay.main_famille] = before
    return n1, n2


def put_rfr(inputs: Inputs, period_month: str, n1: numpy.ndarray, n2: numpy.ndarray) -> None:
    """Set the rfr of N-1 (``n1``) and of N-2 and every year before (``n2``) on the foyers fiscaux."""
    years = rfr_years(period_month)
    inputs.put("foyer_fiscal", "rfr", years[:1], n1)
    inputs.put("foyer_fiscal", "rfr", years[1:], n2)


def resolve(columns: HouseholdColumns, lay: Layout, period_month: str, context: Inputs, nets: numpy.ndarray) -> Inputs:
    """The gross, net and taxable amounts of the solved incomes over ``window_months``, and the rfr of every year.

    ``context``: the inputs read off the answers (``inputs.situation_inputs``); ``nets``: the declared nets
    (``inputs.declared_resources``). When a foyer gave no rfr, one value R stands for every year: the ``rfr`` that
    OpenFisca computes for N-1 from the foyer's incomes, with R as the rfr of the years before, from R = 0 until it
    no longer changes. Only pensions and unemployment benefit depend on R (their CSG rate): without them, one round.
    """
    n1, n2 = given_rfr(columns, lay)
    unknown = numpy.isnan(n1)
    depends_on_rfr = bool(nets[:, [RESOURCE_ORDER.index("pension"), RESOURCE_ORDER.index("unemployment")]].any())
    estimate = numpy.zeros(lay.group_count)
    solved: dict | None = None
    for _round in range(MAX_RFR_ROUNDS):
        rfr = Inputs()
        put_rfr(rfr, period_month, numpy.where(unknown, estimate, n1), numpy.where(unknown, estimate, n2))
        # From the last round's gross amounts: a CSG rate that changed moves few of them.
        incomes, solved = solve(lay, period_month, context.merged(rfr), nets, solved)
        if not unknown.any():
            return incomes.merged(rfr)
        computed = numpy.where(unknown, _rfr_of_last_year(lay, period_month, context.merged(incomes, rfr)), 0.0)
        if not depends_on_rfr or numpy.array_equal(computed, estimate):
            settled = Inputs()
            put_rfr(settled, period_month, numpy.where(unknown, computed, n1), numpy.where(unknown, computed, n2))
            return incomes.merged(settled)
        estimate = computed
    raise ValueError("the revenu fiscal de référence estimate does not settle")


def _rfr_of_last_year(lay: Layout, period_month: str, inputs: Inputs) -> numpy.ndarray:
    """OpenFisca's rfr of N-1 for every foyer, computed from its incomes (its own rfr of N-1 left out)."""
    year = rfr_years(period_month)[0]
    without = inputs.merged()
    without["foyer_fiscal"]["rfr"] = {period: values for period, values in inputs["foyer_fiscal"]["rfr"].items()}
    del without["foyer_fiscal"]["rfr"][year]
    simulation = simulate(lay, without)
    try:
        with fold.folding(simulation, "rfr"):
            return numpy.round(numpy.asarray(simulation.calculate("rfr", year), dtype=numpy.float64), 2)
    finally:
        build.release(simulation)


# ---------------------------------------------------------------------------------------------------------------
# Gross amounts


SALARY_PROBES = (0.25, 0.5, 1.0, 1.5, 4.5, 9.0)  # fractions of the month's social security ceiling
SALARY_CACHE_SIZE = 50_000
_salary_cache: dict[tuple, tuple[float, float]] = {}  # (regime, net) -> (gross, taxable), OpenFisca's


def _alone(count: int) -> Layout:
    """``count`` persons, each alone in their household."""
    return Layout(
        household_count=count,
        person_household=numpy.arange(count),
        person_member_id=[str(index) for index in range(count)],
        relationship=numpy.full(count, RELATIONSHIP_ORDER.index("self")),
        famille_of=numpy.arange(count),
        group_household=numpy.arange(count),
        main_famille=numpy.arange(count),
        couple=numpy.zeros(count, dtype=bool),
    )


def _employees(month: str, gross: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """OpenFisca's net and taxable salaries of employees paid ``gross`` in ``month``."""
    inputs = Inputs()
    inputs.put("individu", "date_naissance", ["ETERNITY"], numpy.full(len(gross), numpy.datetime64("1980-01-01")))
    inputs.put("individu", SALARY.gross, [month], gross)
    simulation = simulate(_alone(len(gross)), inputs)
    try:
        with fold.folding(simulation, "salaries"):
            net = numpy.asarray(simulation.calculate(SALARY.net, month), dtype=numpy.float64)
            taxable = numpy.asarray(simulation.calculate(SALARY.taxable, month), dtype=numpy.float64)
    finally:
        build.release(simulation)
    return net, taxable


@functools.lru_cache(maxsize=240)
def salary_regime(month: str) -> tuple[float, ...]:
    """What identifies the salary regime of a month: the net and taxable salaries of the probes."""
    parameters = get_tax_benefit_system().parameters(month)
    ceiling = float(parameters.prelevements_sociaux.pss.plafond_securite_sociale_mensuel)
    net, taxable = _employees(month, numpy.array([ceiling * fraction for fraction in SALARY_PROBES]))
    return (ceiling, *net.tolist(), *taxable.tolist())


def _salaries(months: list[str], targets: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The gross and taxable salaries whose net is ``targets`` (``[person, month]``), by OpenFisca."""
    regimes = [salary_regime(month) for month in months]
    found: dict[tuple, tuple[float, float]] = {}  # (regime, net) -> (gross, taxable), for this call
    wanted: dict[tuple, str] = {}  # (regime, net) not known yet -> a month of that regime
    for column, regime in enumerate(regimes):
        for net in numpy.unique(targets[:, column]).tolist():
            if net <= 0 or (regime, net) in found:
                continue
            known = _salary_cache.get((regime, net))
            if known is not None:
                found[regime, net] = known
            else:
                wanted.setdefault((regime, net), months[column])
    by_month: dict[str, list[float]] = {}
    for (_regime, net), month in wanted.items():
        by_month.setdefault(month, []).append(net)
    for month, nets in by_month.items():
        gross, taxable = _secant_alone(month, numpy.array(nets))
        regime = salary_regime(month)
        for net, amount, taxed in zip(nets, gross.tolist(), taxable.tolist(), strict=True):
            found[regime, net] = (amount, taxed)
    if len(_salary_cache) + len(wanted) > SALARY_CACHE_SIZE:
        _salary_cache.clear()
    _salary_cache.update({key: found[key] for key in wanted})
    gross = numpy.zeros_like(targets)
    taxable = numpy.zeros_like(targets)
    for column, regime in enumerate(regimes):
        for row, net in enumerate(targets[:, column].tolist()):
            if net > 0:
                gross[row, column], taxable[row, column] = found[regime, net]
    return gross, taxable


def _secant_alone(month: str, targets: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Gross salaries whose OpenFisca net in ``month`` is ``targets``, and their taxable salaries."""
    root = _Root(targets, numpy.ones(targets.shape, dtype=bool))
    gross = root.first(SALARY_FIRST_RATIO)
    for _step in range(MAX_STEPS):
        net, taxable = _employees(month, gross)
        gross = root.meet(gross, net, taxable)
        if root.settled():
            break
    return root.result()


def solve(
    lay: Layout, period_month: str, context: Inputs, nets: numpy.ndarray, start: dict | None = None
) -> tuple[Inputs, dict[str, numpy.ndarray]]:
    """The gross, net and taxable amounts of each solved kind, person and month (OpenFisca's net: the declared), and
    the gross amounts by kind; ``start``: gross amounts to start from (a solution for another rfr)."""
    months = window_months(period_month)
    targets = {solved.kind: nets[:, RESOURCE_ORDER.index(solved.kind)] for solved in SOLVED}
    gross = {kind: numpy.zeros_like(target) for kind, target in targets.items()}
    taxable = {kind: numpy.zeros_like(target) for kind, target in targets.items()}
    gross["salary"], taxable["salary"] = _salaries(months, targets["salary"])
    unsolved = {UNEMPLOYMENT.kind: targets["unemployment"] > 0, PENSION.kind: targets["pension"] > 0}
    to_solve = [solved for solved in (UNEMPLOYMENT, PENSION) if unsolved[solved.kind].any()]
    if to_solve:
        _secant(lay, months, context, to_solve, targets, unsolved, gross, taxable, start or {})
    result = Inputs()
    for solved in SOLVED:
        result.put_each("individu", solved.gross, months, gross[solved.kind])
        result.put_each("individu", solved.net, months, targets[solved.kind])
        result.put_each("individu", solved.taxable, months, taxable[solved.kind])
    return result, gross


def _secant(
    lay: Layout,
    months: list[str],
    context: Inputs,
    to_solve: list[Solved],
    targets: dict[str, numpy.ndarray],
    unsolved: dict[str, numpy.ndarray],
    gross: dict[str, numpy.ndarray],
    taxable: dict[str, numpy.ndarray],
    start: dict[str, numpy.ndarray],
) -> None:
    """Solve ``to_solve`` in the household's context where ``unsolved``; fills ``gross`` and ``taxable`` in place.

    Each step computes only the months where a cell is not settled yet (the others keep what they found).
    """
    roots = {solved.kind: _Root(targets[solved.kind], unsolved[solved.kind]) for solved in to_solve}
    trying = {
        kind: numpy.where(root.cells, start[kind], root.first()) if kind in start else root.first()
        for kind, root in roots.items()
    }
    purpose = ("incomes", tuple(solved.kind for solved in to_solve))
    computed = numpy.ones(len(months), dtype=bool)
    for _step in range(MAX_STEPS):
        trial = Inputs()
        for solved in SOLVED:
            trial.put_each("individu", solved.gross, months, trying.get(solved.kind, gross[solved.kind]))
        simulation = simulate(lay, context.merged(trial))
        try:
            with fold.folding(simulation, purpose):
                for solved in to_solve:
                    net = _by_month(simulation, solved.net, months, computed)
                    taxed = _by_month(simulation, solved.taxable, months, computed)
                    trying[solved.kind] = roots[solved.kind].meet(trying[solved.kind], net, taxed, computed)
        finally:
            build.release(simulation)
        if all(root.settled() for root in roots.values()):
            break
        computed = numpy.logical_or.reduce([root.open_months() for root in roots.values()])
    for kind, root in roots.items():
        gross[kind], taxable[kind] = root.result()


def _by_month(simulation, variable: str, months: list[str], which: numpy.ndarray | None = None) -> numpy.ndarray:
    """``[person, month]`` values of a monthly individual variable (0 for the months ``which`` leaves out)."""
    count = simulation.persons.count
    return numpy.stack(
        [
            numpy.asarray(simulation.calculate(variable, month), dtype=numpy.float64)
            if which is None or which[column]
            else numpy.zeros(count)
            for column, month in enumerate(months)
        ],
        axis=1,
    )
