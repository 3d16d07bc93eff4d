"""What every sentence of the simulator is written with: small counts in words, years, dates, months, rules."""

import datetime
from collections.abc import Mapping
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

Figures = Mapping[str, Any]


def count_word(count: Any, feminine: bool = False) -> str:
    """A small count in words (``deux``, ``une`` for a feminine noun), larger ones in digits."""
    words = (
        _("zéro"),
        _("une") if feminine else _("un"),
        _("deux"),
        _("trois"),
        _("quatre"),
        _("cinq"),
        _("six"),
        _("sept"),
        _("huit"),
        _("neuf"),
        _("dix"),
    )
    value = int(count)
    return words[value] if 0 <= value < len(words) else str(value)


def _years(count: object) -> str:
    value = int(count)
    return ngettext("%(count)s an", "%(count)s ans", value) % {"count": value}


def _date(iso: object) -> str:
    return date_format(datetime.date.fromisoformat(str(iso)), "j F Y")


def _month(period: object) -> str:
    return date_format(datetime.date.fromisoformat(f"{period}-01"), "F Y")


def _rule(rule: str, situation: str) -> str:
    """A rule and the person's situation, as one sentence."""
    return _("%(rule)s ; %(situation)s.") % {"rule": rule, "situation": situation}
