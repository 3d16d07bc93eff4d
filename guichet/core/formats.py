"""Numbers and amounts as people read them: "1 234,56 €" on French pages, "€1,234.56" on English ones.

Plain Python, importable without Django's templates (and usable without settings): the language is given, or taken
from Django's active translation when Django is configured, French otherwise. The template filters are in
``guichet.core.templatetags.formats`` (``{% load formats %}``, then ``{{ amount|euros }}``).

French conventions (CLDR, and the Imprimerie nationale's rules): a narrow no-break space groups thousands, a comma
marks decimals, a no-break space comes before "€" and "%". English pages use the English conventions: a comma
groups thousands, a point marks decimals, "€" comes first. The sign never breaks away from its number.

The rule for amounts, everywhere: cents are shown when there are any, with two digits ("4,80 €"); whole euros
are shown without ",00" ("600 €"). Where prices are read side by side in a table, ``cents=True`` always shows
two digits ("600,00 €") so that the column lines up.

Values are rounded half up (to the cent for amounts), from their decimal writing: a float is read as it is
printed (4.8 is 4.8, not 4.79999...). ``None`` gives an empty string (nothing to show); anything that is not a
finite number raises ``ValueError``.
"""

import numbers
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

Number = int | float | Decimal | str

NARROW_NO_BREAK_SPACE = "\u202f"
NO_BREAK_SPACE = "\u00a0"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Conventions:
    group: str
    decimal: str
    euro_first: bool
    percent_space: str


FRENCH = Conventions(group=NARROW_NO_BREAK_SPACE, decimal=",", euro_first=False, percent_space=NO_BREAK_SPACE)
ENGLISH = Conventions(group=",", decimal=".", euro_first=True, percent_space="")


def conventions(language: str | None = None) -> Conventions:
    """The conventions of a language code ("fr", "en", "en-gb"...); French (the source language) by default."""
    code = (language or _active_language() or "fr").lower()
    return ENGLISH if code.split("-")[0].split("_")[0] == "en" else FRENCH


def _active_language() -> str | None:
    try:
        from django.conf import settings
        from django.utils import translation
    except ImportError:  # pragma: no cover - Django is a dependency of the project
        return None
    if not settings.configured:
        return None
    return translation.get_language()


def to_decimal(value: Number | None) -> Decimal | None:
    """The exact decimal a value stands for, or None; ``ValueError`` for what is not a finite number."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float | str | numbers.Real):  # numbers.Real: numpy's numbers too, read as printed
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation as error:
            raise ValueError(f"not a number: {value!r}") from error
    else:
        raise ValueError(f"not a number: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def _digits(value: Decimal, decimals: int, rules: Conventions) -> tuple[bool, str]:
    """(negative, the absolute value written with ``decimals`` decimals and grouped thousands)."""
    rounded = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    negative = rounded < 0  # -0.001 rounds to 0: no "-0"
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    groups = []
    while len(whole) > 3:
        whole, last = whole[:-3], whole[-3:]
        groups.insert(0, last)
    text = rules.group.join([whole, *groups])
    if decimals > 0:
        text += rules.decimal + fraction
    return negative, text


def number(value: Number | None, decimals: int = 0, *, language: str | None = None) -> str:
    """A number with ``decimals`` decimals: ``number(1234.5, 1)`` is "1 234,5" in French, "1,234.5" in English."""
    if decimals < 0:
        raise ValueError("decimals must be 0 or more")
    exact = to_decimal(value)
    if exact is None:
        return ""
    negative, text = _digits(exact, decimals, conventions(language))
    return f"-{text}" if negative else text


def euros(value: Number | None, *, cents: bool = False, language: str | None = None) -> str:
    """An amount in euros: "1 234,56 €", "4,80 €", "600 €" ("€1,234.56", "€4.80", "€600" in English).

    Rounded to the cent; whole euros without decimals unless ``cents`` (tables of prices: "600,00 €").
    """
    exact = to_decimal(value)
    if exact is None:
        return ""
    rules = conventions(language)
    rounded = exact.quantize(CENT, rounding=ROUND_HALF_UP)
    decimals = 2 if cents or rounded != rounded.to_integral_value() else 0
    negative, text = _digits(rounded, decimals, rules)
    sign = "-" if negative else ""
    if rules.euro_first:
        return f"{sign}€{text}"
    return f"{sign}{text}{NO_BREAK_SPACE}€"


def percent(value: Number | None, decimals: int = 0, *, language: str | None = None) -> str:
    """A percentage, given in percent: ``percent(12.5, 1)`` is "12,5 %" in French, "12.5%" in English."""
    text = number(value, decimals, language=language)
    if not text:
        return ""
    return f"{text}{conventions(language).percent_space}%"
