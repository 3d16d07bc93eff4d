"""Numbers and amounts as people read them, in French and in English (guichet.core.formats and its filters)."""

import pathlib
import subprocess
import sys
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from guichet.core import formats

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    ("value", "french", "english"),
    [
        (0, f"0{NBSP}€", "€0"),
        (4.8, f"4,80{NBSP}€", "€4.80"),
        (1234.56, f"1{NNBSP}234,56{NBSP}€", "€1,234.56"),
        (1000000, f"1{NNBSP}000{NNBSP}000{NBSP}€", "€1,000,000"),
        (600, f"600{NBSP}€", "€600"),
        (Decimal("600.00"), f"600{NBSP}€", "€600"),
        (Decimal("4.80"), f"4,80{NBSP}€", "€4.80"),
        (-1234.5, f"-1{NNBSP}234,50{NBSP}€", "-€1,234.50"),
        (Decimal("2.345"), f"2,35{NBSP}€", "€2.35"),  # half up, to the cent
        (-0.001, f"0{NBSP}€", "€0"),  # no "-0"
        (999.999, f"1{NNBSP}000{NBSP}€", "€1,000"),
        ("12.3", f"12,30{NBSP}€", "€12.30"),
    ],
)
def test_amounts_in_euros(value, french, english):
    assert formats.euros(value, language="fr") == french
    assert formats.euros(value, language="en") == english


def test_a_float_is_read_as_it_is_printed():
    assert formats.euros(0.1 + 0.2, language="fr") == f"0,30{NBSP}€"
    assert formats.euros(2.675, language="en") == "€2.68"  # binary 2.67499999... would round down


def test_prices_in_a_table_always_show_the_cents():
    assert formats.euros(600, cents=True, language="fr") == f"600,00{NBSP}€"
    assert formats.euros(Decimal("4.8"), cents=True, language="en") == "€4.80"
    assert formats.euros(0, cents=True, language="fr") == f"0,00{NBSP}€"


@pytest.mark.parametrize(
    ("value", "decimals", "french", "english"),
    [
        (0, 0, "0", "0"),
        (4.8, 1, "4,8", "4.8"),
        (4.8, 0, "5", "5"),
        (1234.56, 2, f"1{NNBSP}234,56", "1,234.56"),
        (1234.56, 0, f"1{NNBSP}235", "1,235"),
        (1000000, 0, f"1{NNBSP}000{NNBSP}000", "1,000,000"),
        (-1234, 0, f"-1{NNBSP}234", "-1,234"),
        (Decimal("0.05"), 1, "0,1", "0.1"),
        (12, 2, "12,00", "12.00"),
    ],
)
def test_numbers(value, decimals, french, english):
    assert formats.number(value, decimals, language="fr") == french
    assert formats.number(value, decimals, language="en") == english


def test_percentages():
    assert formats.percent(12, language="fr") == f"12{NBSP}%"
    assert formats.percent(12.5, 1, language="en") == "12.5%"


def test_none_shows_nothing():
    assert formats.euros(None) == formats.number(None) == formats.percent(None) == ""


@pytest.mark.parametrize("value", ["abc", "", float("nan"), float("inf"), Decimal("NaN"), True, [], object()])
def test_what_is_not_a_finite_number_is_refused(value):
    with pytest.raises(ValueError):
        formats.euros(value, language="fr")


def test_negative_decimals_are_refused():
    with pytest.raises(ValueError):
        formats.number(1, -1)


def test_the_language_is_the_active_one_and_french_by_default():
    with translation.override("en"):
        assert formats.euros(4.8) == "€4.80"
    with translation.override("en-gb"):
        assert formats.euros(4.8) == "€4.80"
    with translation.override("fr"):
        assert formats.euros(4.8) == f"4,80{NBSP}€"
    assert formats.euros(4.8, language="de") == f"4,80{NBSP}€"


def test_the_module_works_without_django_settings():
    """The rights engine and scripts can use it outside a Django project: French, the source language."""
    code = (
        "from guichet.core import formats; print(repr(formats.euros(1234.5)), repr(formats.euros(2, language='en')))"
    )
    root = pathlib.Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env={"PYTHONPATH": str(root)},
    )
    assert result.stdout.strip() == repr(f"1{NNBSP}234,50{NBSP}€") + " " + repr("€2")


def _render(text: str, **context) -> str:
    return Template("{% load formats %}" + text).render(Context(context))


def test_the_filters_follow_the_page_language():
    text = (
        '{{ a|euros }} | {{ a|euros:"cents" }} | {{ b|euros }} | {{ n|number }} | {{ n|number:1 }} | {{ r|percent }}'
    )
    values = {"a": Decimal("600"), "b": 1234.56, "n": 1234.56, "r": 12}
    assert (
        _render(text, **values)
        == f"600{NBSP}€ | 600,00{NBSP}€ | 1{NNBSP}234,56{NBSP}€ | 1{NNBSP}235 | 1{NNBSP}234,6 | 12{NBSP}%"
    )
    with translation.override("en"):
        assert _render(text, **values) == "€600 | €600.00 | €1,234.56 | 1,235 | 1,234.6 | 12%"


@pytest.mark.parametrize("value", [None, "", "abc", object()])
def test_the_filters_show_nothing_for_what_is_not_a_number(value):
    assert _render("[{{ v|euros }}|{{ v|number:2 }}|{{ v|percent }}]", v=value) == "[||]"


def test_a_bad_filter_argument_does_not_break_the_page():
    assert _render('{{ v|number:"x" }}', v=3.2) == "3"
