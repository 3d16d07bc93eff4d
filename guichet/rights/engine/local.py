"""The territory's local aids, declared in ``rules/local_aids/*.yaml`` and evaluated on top of OpenFisca.

A local aid is evaluated per PERSON: the tariffs it sets (a transport pass, a canteen meal, a pool pass...) are
personal, and so are its usual conditions (age, student, disability). Household conditions (commune, family
quotient, receiving the RSA...) are broadcast from the person's famille or ménage by ``mapping.person_features``. In
the Web API, a local aid is therefore requested on ``individus``, like any OpenFisca variable::

    {"individus": {"alice": {"metropole_demo_transport_solidaire": {"2025-01": null}}}, ...}

File format (one aid per file; every key is checked when loading, with the file name in the error)::

    id: metropole_demo_transport_solidaire   # lowercase, digits and _; must not be an OpenFisca variable
    label: ...                               # French, shown to users
    description: ...
    kind: tariff                             # tariff: the price the person pays / amount: an aid paid
    unit: € par mois
    full_price: 65.0                         # tariffs only: the price without the aid
    validity: {start: 2024-01-01, end: null}
    deliberation: {number: "2023-1204", date: 2023-12-11, body: Conseil de la Métropole de démonstration}
    conditions: {communes: [...], age_min: 4}  # who can have it at all
    bands:                                   # first matching band gives the value
      - {label: ..., when: {receives: [rsa]}, value: 0}
      - {label: ..., when: {qf_max: 600}, reduction: 0.8}
    default: 65.0                            # value when no band matches (defaults: full price, or 0)
    how_to_claim: ...                        # optional
    url: ...                                 # optional

Conditions (all must hold): ``communes`` (INSEE codes, as strings), ``age_min`` / ``age_max`` (inclusive, in years
at the first day of the month), ``qf_min`` / ``qf_max`` (inclusive, CAF family quotient in euros), ``receives``
(at least one of these national aids, by catalogue id, is > 0), ``not_receives``, ``student``, ``disabled``
(booleans). A person is eligible when the aid is valid for the month, the conditions hold, and the value is below the
full price (tariffs) or above 0 (amounts).
"""

import dataclasses
import datetime
import hashlib
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy
import yaml

from guichet.rights.engine.benefits import BENEFITS_BY_ID, Benefit

RULES_DIR = Path(__file__).resolve().parents[3] / "rules"
LOCAL_AIDS_DIR = RULES_DIR / "local_aids"

CONDITION_KEYS = frozenset(
    {"communes", "age_min", "age_max", "qf_min", "qf_max", "receives", "not_receives", "student", "disabled"}
)
AID_KEYS = frozenset(
    {
        "id",
        "label",
        "description",
        "kind",
        "unit",
        "full_price",
        "validity",
        "deliberation",
        "conditions",
        "bands",
        "default",
        "how_to_claim",
        "url",
    }
)
REQUIRED_KEYS = ("id", "label", "description", "kind", "validity", "deliberation", "bands")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{2,80}$")


class LocalAidError(ValueError):
    """A local aid file is invalid; the message names the file and the faulty key."""


@dataclasses.dataclass(frozen=True)
class Band:
    """One line of a tariff grid: when its conditions hold, the value is ``value`` (or full price × (1-reduction))."""

    label: str
    when: Mapping
    value: float


@dataclasses.dataclass(frozen=True)
class LocalAid:
    """A validated local aid."""

    id: str
    label: str
    description: str
    kind: str
    unit: str
    full_price: float | None
    start: datetime.date
    end: datetime.date | None
    deliberation: Mapping
    conditions: Mapping
    bands: tuple[Band, ...]
    default: float
    how_to_claim: str
    url: str
    source: str

    @property
    def benefits_used(self) -> set[str]:
        """The national aids (catalogue ids) this aid's conditions look at."""
        used = set()
        for conditions in (self.conditions, *(band.when for band in self.bands)):
            used.update(conditions.get("receives", ()), conditions.get("not_receives", ()))
        return used

    def valid_on(self, period_month: str) -> bool:
        """Whether the aid exists for the month ``YYYY-MM`` (validity dates, inclusive)."""
        first = datetime.date.fromisoformat(f"{period_month}-01")
        return self.start <= first and (self.end is None or first <= self.end)

    def as_dict(self) -> dict:
        """A JSON-serialisable description, with its legal basis (the deliberation)."""
        return {
            "id": self.id,
            "label": self.label,
            "description": self.description,
            "kind": self.kind,
            "unit": self.unit,
            "full_price": self.full_price,
            "validity": {"start": self.start.isoformat(), "end": self.end.isoformat() if self.end else None},
            "deliberation": {key: str(value) for key, value in self.deliberation.items()},
            "bands": [{"label": band.label, "value": band.value} for band in self.bands],
            "how_to_claim": self.how_to_claim,
            "url": self.url,
        }


def _fail(source: str, message: str) -> LocalAidError:
    return LocalAidError(f"{source}: {message}")


def _number(source: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(source, f"{key} must be a number, got {value!r}")
    if value < 0:
        raise _fail(source, f"{key} cannot be negative")
    return float(value)


def _date(source: str, key: str, value: object, required: bool = True) -> datetime.date | None:
    if value is None and not required:
        return None
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail(source, f"{key} must be a date YYYY-MM-DD, got {value!r}")


def _conditions(source: str, key: str, raw: object) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _fail(source, f"{key} must be a mapping of conditions")
    unknown = set(raw) - CONDITION_KEYS
    if unknown:
        raise _fail(source, f"{key}: unknown condition(s) {sorted(unknown)}; known: {sorted(CONDITION_KEYS)}")
    conditions: dict = {}
    for name, value in raw.items():
        path = f"{key}.{name}"
        if name == "communes":
            if not isinstance(value, list) or not value:
                raise _fail(source, f"{path} must be a non-empty list of INSEE codes")
            for code in value:
                if not isinstance(code, str) or not re.fullmatch(r"\d{5}|2[AB]\d{3}", code):
                    raise _fail(source, f"{path}: {code!r} is not an INSEE code (write it as a quoted string)")
            conditions[name] = tuple(value)
        elif name in ("receives", "not_receives"):
            if not isinstance(value, list) or not value:
                raise _fail(source, f"{path} must be a non-empty list of national aid ids")
            for benefit_id in value:
                if benefit_id not in BENEFITS_BY_ID:
                    raise _fail(
                        source, f"{path}: unknown national aid {benefit_id!r}; known: {sorted(BENEFITS_BY_ID)}"
                    )
            conditions[name] = tuple(value)
        elif name in ("student", "disabled"):
            if not isinstance(value, bool):
                raise _fail(source, f"{path} must be true or false")
            conditions[name] = value
        else:
            conditions[name] = _number(source, path, value)
    for low, high in (("age_min", "age_max"), ("qf_min", "qf_max")):
        if low in conditions and high in conditions and conditions[low] > conditions[high]:
            raise _fail(source, f"{key}: {low} is greater than {high}")
    return conditions


def parse_local_aid(data: object, source: str, national_variables: Sequence[str] = ()) -> LocalAid:
    """Validate one local aid given as parsed YAML; raise ``LocalAidError`` naming ``source`` and the key."""
    if not isinstance(data, dict):
        raise _fail(source, "a local aid file must contain one mapping")
    unknown = set(data) - AID_KEYS
    if unknown:
        raise _fail(source, f"unknown key(s) {sorted(unknown)}")
    for key in REQUIRED_KEYS:
        if key not in data:
            raise _fail(source, f"missing key {key!r}")
    aid_id = data["id"]
    if not isinstance(aid_id, str) or not ID_PATTERN.match(aid_id):
        raise _fail(source, f"id {aid_id!r} must be lowercase letters, digits and _")
    if aid_id in national_variables:
        raise _fail(source, f"id {aid_id!r} is already an OpenFisca variable")
    for key in ("label", "description"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise _fail(source, f"{key} must be a non-empty text")
    kind = data["kind"]
    if kind not in ("tariff", "amount"):
        raise _fail(source, "kind must be 'tariff' or 'amount'")
    full_price = None
    if kind == "tariff":
        if "full_price" not in data:
            raise _fail(source, "a tariff needs a full_price")
        full_price = _number(source, "full_price", data["full_price"])
    validity = data["validity"]
    if not isinstance(validity, dict) or "start" not in validity:
        raise _fail(source, "validity must be a mapping with start (and optional end)")
    start = _date(source, "validity.start", validity["start"])
    end = _date(source, "validity.end", validity.get("end"), required=False)
    if end is not None and end < start:
        raise _fail(source, "validity.end is before validity.start")
    deliberation = data["deliberation"]
    if not isinstance(deliberation, dict) or not {"number", "date", "body"} <= set(deliberation):
        raise _fail(source, "deliberation must give its number, date and body")
    _date(source, "deliberation.date", deliberation["date"])
    conditions = _conditions(source, "conditions", data.get("conditions"))
    raw_bands = data["bands"]
    if not isinstance(raw_bands, list):
        raise _fail(source, "bands must be a list")
    bands = []
    for index, raw in enumerate(raw_bands):
        path = f"bands[{index}]"
        if not isinstance(raw, dict) or set(raw) - {"label", "when", "value", "reduction"}:
            raise _fail(source, f"{path} must be a mapping of label, when, and value or reduction")
        if ("value" in raw) == ("reduction" in raw):
            raise _fail(source, f"{path} needs exactly one of value or reduction")
        if "reduction" in raw:
            if full_price is None:
                raise _fail(source, f"{path}: a reduction needs a tariff with a full_price")
            reduction = _number(source, f"{path}.reduction", raw["reduction"])
            if reduction > 1:
                raise _fail(source, f"{path}.reduction is a fraction between 0 and 1")
            value = round(full_price * (1 - reduction), 2)
        else:
            value = _number(source, f"{path}.value", raw["value"])
        bands.append(
            Band(
                label=str(raw.get("label", "")), when=_conditions(source, f"{path}.when", raw.get("when")), value=value
            )
        )
    default = data.get("default", full_price if kind == "tariff" else 0.0)
    default = _number(source, "default", default)
    return LocalAid(
        id=aid_id,
        label=data["label"].strip(),
        description=data["description"].strip(),
        kind=kind,
        unit=str(data.get("unit", "€")),
        full_price=full_price,
        start=start,
        end=end,
        deliberation=dict(deliberation),
        conditions=conditions,
        bands=tuple(bands),
        default=default,
        how_to_claim=str(data.get("how_to_claim", "")).strip(),
        url=str(data.get("url", "")),
        source=source,
    )


def load_local_aids(directory: Path = LOCAL_AIDS_DIR, national_variables: Sequence[str] = ()) -> list[LocalAid]:
    """Load and validate every ``*.yaml`` file of a directory, sorted by file name."""
    aids = []
    seen: dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        source = path.name
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise _fail(source, f"invalid YAML: {error}") from error
        aid = parse_local_aid(data, source, national_variables)
        if aid.id in seen:
            raise _fail(source, f"id {aid.id!r} is already used by {seen[aid.id]}")
        seen[aid.id] = source
        aids.append(aid)
    return aids


_cache_lock = threading.Lock()
_cache: dict[str, LocalAid] | None = None
_rules_version: str | None = None


def local_aids() -> dict[str, LocalAid]:
    """The territory's local aids by id, loaded once per process (checked against OpenFisca's variable names)."""
    global _cache, _rules_version
    with _cache_lock:
        if _cache is None:
            # Late import: loading the tax-benefit system is slow and only needed to check for name clashes.
            from guichet.rights.engine.system import get_tax_benefit_system

            aids = load_local_aids(national_variables=tuple(get_tax_benefit_system().variables))
            digest = hashlib.sha256()
            for path in sorted(LOCAL_AIDS_DIR.glob("*.yaml")):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
            _rules_version = digest.hexdigest()[:16]
            _cache = {aid.id: aid for aid in aids}
        return _cache


def rules_version() -> str:
    """A short hash of the local aid files, stored with results so they can be recomputed identically."""
    local_aids()
    assert _rules_version is not None
    return _rules_version


def benefits_needed(aids: Sequence[LocalAid]) -> list[Benefit]:
    """The national aids the given local aids look at (to compute them before the local ones)."""
    needed = set().union(*(aid.benefits_used for aid in aids)) if aids else set()
    return [BENEFITS_BY_ID[benefit_id] for benefit_id in sorted(needed)]


def _mask(conditions: Mapping, features: Mapping[str, numpy.ndarray], size: int) -> numpy.ndarray:
    mask = numpy.ones(size, dtype=bool)
    for name, value in conditions.items():
        if name == "communes":
            mask &= numpy.isin(features["commune"], numpy.array(value))
        elif name == "age_min":
            mask &= features["age"] >= value
        elif name == "age_max":
            mask &= features["age"] <= value
        elif name == "qf_min":
            mask &= features["qf"] >= value
        elif name == "qf_max":
            mask &= features["qf"] <= value
        elif name == "receives":
            mask &= numpy.logical_or.reduce([features[f"receives:{benefit}"] for benefit in value])
        elif name == "not_receives":
            mask &= ~numpy.logical_or.reduce([features[f"receives:{benefit}"] for benefit in value])
        else:  # student, disabled
            mask &= features[name] == value
    return mask


@dataclasses.dataclass
class LocalResult:
    """One local aid for every person: the value (tariff or amount), eligibility and the band applied (-1: none)."""

    value: numpy.ndarray
    eligible: numpy.ndarray
    band: numpy.ndarray


def evaluate(aid: LocalAid, features: Mapping[str, numpy.ndarray], period_month: str) -> LocalResult:
    """Evaluate one local aid for every person at once (numpy), from ``mapping.person_features``."""
    size = len(features["age"])
    value = numpy.full(size, aid.default, dtype=numpy.float64)
    band_index = numpy.full(size, -1, dtype=numpy.int64)
    if not aid.valid_on(period_month):
        return LocalResult(value=value, eligible=numpy.zeros(size, dtype=bool), band=band_index)
    applies = _mask(aid.conditions, features, size)
    unassigned = applies.copy()
    for index, band in enumerate(aid.bands):
        matches = unassigned & _mask(band.when, features, size)
        value[matches] = band.value
        band_index[matches] = index
        unassigned &= ~matches
    if aid.kind == "tariff":
        assert aid.full_price is not None
        value[~applies] = aid.full_price
        eligible = applies & (value < aid.full_price)
    else:
        value[~applies] = 0.0
        eligible = applies & (value > 0)
    return LocalResult(value=value, eligible=eligible, band=band_index)
