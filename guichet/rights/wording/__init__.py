"""Every sentence the rights simulator shows about why an aid is (not) due and how its amount is made up.

The engine (``guichet.rights.engine.reasons``) says WHAT failed or counted, as a code and figures; this module says
it to a person, in plain French through gettext (named placeholders, plurals through ngettext), so that the wording
lives in one place and is translated once. Money and percentages are written by ``guichet.core.formats`` in the
active language ("1 234,56 €" in French), small counts in words ("deux enfants").
"""

from django.utils.translation import gettext as _

from guichet.rights.engine.reasons import Line, Reason
from guichet.rights.wording.common import count_word
from guichet.rights.wording.lines import LINES
from guichet.rights.wording.reasons import REASONS

__all__ = ["LINES", "REASONS", "count_word", "line_label", "reason_text"]


def reason_text(reason: Reason) -> str:
    """The sentence a person reads for why an aid is not due (the generic one only for an unknown code)."""
    render = REASONS.get(reason.code)
    if render is None:
        return _("D'après les informations données, les conditions de cette aide ne sont pas remplies.")
    return render(reason.figures)


def line_label(line: Line) -> str:
    """What one line of a calculation is, in words (``<aid>.rounding`` lines are the law's roundings)."""
    render = LINES.get(line.code)
    if render is not None:
        label = render(line.figures)
        # Labels that open on a count ("deux enfants de 6 à 10 ans") start a line of the calculation: a capital.
        return label[:1].upper() + label[1:]
    if line.code.endswith(".rounding"):
        return _("Arrondi")
    return _("Autre élément du calcul")
