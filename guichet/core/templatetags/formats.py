"""Template filters for numbers and amounts, in the page's language (see ``guichet.core.formats``).

``{% load formats %}``, then ``{{ amount|euros }}`` ("4,80 €", "600 €"), ``{{ price|euros:"cents" }}`` in a table
of prices ("600,00 €"), ``{{ value|number }}`` or ``{{ value|number:1 }}`` ("1 234,5"), ``{{ rate|percent }}``
("12 %"). Like Django's ``floatformat``, a value that is not a number shows as nothing rather than failing the page.
"""

from django import template

from guichet.core import formats

register = template.Library()


def _or_nothing(function, *args, **kwargs) -> str:
    try:
        return function(*args, **kwargs)
    except (TypeError, ValueError):
        return ""


@register.filter
def euros(value, option: str = "") -> str:
    """An amount in euros; ``"cents"`` always shows two decimals (tables of prices)."""
    return _or_nothing(formats.euros, value, cents=option == "cents")


@register.filter
def number(value, decimals: int | str = 0) -> str:
    """A number with ``decimals`` decimals (none by default), thousands grouped."""
    return _or_nothing(formats.number, value, int(decimals) if str(decimals).isdigit() else 0)


@register.filter
def percent(value, decimals: int | str = 0) -> str:
    """A percentage given in percent ("12 %"), with ``decimals`` decimals (none by default)."""
    return _or_nothing(formats.percent, value, int(decimals) if str(decimals).isdigit() else 0)
