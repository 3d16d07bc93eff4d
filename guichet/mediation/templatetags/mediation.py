from django import template

from guichet.mediation.acting import ActingRefused, acting_for
from guichet.mediation.permissions import is_mediator

register = template.Library()


@register.inclusion_tag("mediation/_banner.html", takes_context=True)
def acting_banner(context) -> dict:
    """The banner shown on every page while a mediator acts for someone (as checked for this request)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    try:
        current = acting_for(request)
    except ActingRefused:
        current = None
    return {"acting": current, "mediator": is_mediator(user), "csrf_token": context.get("csrf_token")}
