"""Acting on someone's behalf: the small API other apps use.

A mediator (second factor passed) chooses a person with an active mandate and one procedure family. The session
keeps only the mandate's and the authorisation's public ids; every request re-reads both from the database
(``ActingMiddleware`` calls :func:`acting_for` first thing) and checks that the mandate was confirmed by the person
(``Mandate.objects.confirmed()``: from their own account or with a code sent to them when they have an account,
signed at the counter only when they had none), not revoked, not expired (valid strictly before ``expires_at``),
that the authorisation is not revoked and that the mediator is still a member of the organisation. When one of
these fails, that request is refused and the acting mode ends.

For other apps:

- ``acting_for(request) -> Acting | None``: who is acted for, under which mandate, by whom (``None`` outside
  acting mode). ``person_for(request)`` is the person a view works for: the acted-for person, or the citizen.
- ``@require_authorization("school_canteen")``: the view is for a citizen acting for themselves or for a
  mediator acting under that family; anyone else, or a mediator outside the mandate's scope, gets a 403 page
  with a clear message. ``scope_refusal(request, family)`` is the same check inside a view, for views that know
  the family only once an object is loaded (``family_for_service_kind`` maps a catalogue service kind to one).
- ``record_action(request_or_acting=request, action=AuditAction.X, target=obj, data={...})``: journal an action
  done on the person's behalf (actor: the mediator, subject: the person, data: mandate, organisation, family).
"""

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from guichet.accounts.enums import Role
from guichet.accounts.models import Person, User
from guichet.accounts.permissions import is_citizen
from guichet.audit.enums import AuditAction
from guichet.audit.models import AuditEvent
from guichet.audit.services import event_record
from guichet.mediation.enums import Family
from guichet.mediation.models import Authorization, Mandate, Membership, Organisation

SESSION_KEY = "mediation_acting"
_CACHE_ATTR = "_mediation_acting"  # per request only: the next request reads the database again


@dataclass(frozen=True)
class Acting:
    person: Person
    mandate: Mandate
    authorization: Authorization
    mediator: User
    organisation: Organisation

    @property
    def family(self) -> str:
        return self.authorization.family

    @property
    def family_label(self) -> str:
        return str(Family(self.authorization.family).label)

    def refs(self) -> dict[str, str]:
        """What every journal entry made under this mandate carries (ids only, no personal data)."""
        return {
            "mandate": str(self.mandate.public_id),
            "organisation": str(self.organisation.public_id),
            "authorization": str(self.authorization.public_id),
            "family": self.authorization.family,
            "mediator": str(self.mediator.public_id),
        }


class ActingRefused(Exception):
    """The acting mode cannot go on; ``message`` says why, in French, to the mediator."""

    def __init__(self, message: str, reason: str, mandate: Mandate | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.mandate = mandate


def is_verified_mediator(user: Any) -> bool:
    return bool(user.is_authenticated and user.role == Role.MEDIATOR and getattr(user, "is_verified", lambda: False)())


def check(*, user: Any, mandate_id: Any, authorization_id: Any) -> Acting:
    """Read the mandate and the authorisation now and check every condition; raises ActingRefused."""
    if not is_verified_mediator(user):
        raise ActingRefused(
            _("Seul un médiateur connecté avec son second facteur peut agir pour une personne."), "role"
        )
    try:
        mandate_id, authorization_id = uuid.UUID(str(mandate_id)), uuid.UUID(str(authorization_id))
    except ValueError:
        raise ActingRefused(_("Ce mandat n'existe pas."), "missing") from None
    authorization = (
        Authorization.objects.select_related("mandate__person", "mandate__organisation")
        .filter(public_id=authorization_id, mandate__public_id=mandate_id)
        .first()
    )
    if authorization is None:
        raise ActingRefused(_("Ce mandat n'existe pas."), "missing")
    mandate = authorization.mandate
    person, organisation = mandate.person, mandate.organisation
    if not (
        organisation.is_active and Membership.objects.current().filter(user=user, organisation=organisation).exists()
    ):
        raise ActingRefused(
            _("Vous ne faites plus partie de « %(organisation)s » : vous ne pouvez plus agir pour ses mandats.")
            % {"organisation": organisation.name},
            "membership",
            mandate,
        )
    now = timezone.now()
    if mandate.revoked_at is not None:
        raise ActingRefused(
            _("Le mandat de %(name)s a été révoqué le %(date)s : vous ne pouvez plus agir pour cette personne.")
            % {"name": person.full_name, "date": date_format(timezone.localtime(mandate.revoked_at), "j F Y à H:i")},
            "revoked",
            mandate,
        )
    if mandate.refused_at is not None:
        raise ActingRefused(
            _("%(name)s a refusé ce mandat : vous ne pouvez pas agir pour cette personne.")
            % {"name": person.full_name},
            "refused",
            mandate,
        )
    if mandate.starts_at is None or now < mandate.starts_at:
        raise ActingRefused(
            _("Le mandat de %(name)s attend encore son consentement.") % {"name": person.full_name}, "pending", mandate
        )
    if not Mandate.objects.confirmed().filter(pk=mandate.pk).exists():
        raise ActingRefused(
            _(
                "Le mandat de %(name)s n'a pas été confirmé par la personne elle-même : vous ne pouvez pas agir pour "
                "elle. Une personne qui a un compte confirme depuis son compte ou avec un code qu'elle reçoit."
            )
            % {"name": person.full_name},
            "unconfirmed",
            mandate,
        )
    if now >= mandate.expires_at:
        raise ActingRefused(
            _("Le mandat de %(name)s a expiré le %(date)s : vous ne pouvez plus agir pour cette personne.")
            % {"name": person.full_name, "date": date_format(timezone.localtime(mandate.expires_at), "j F Y à H:i")},
            "expired",
            mandate,
        )
    if authorization.revoked_at is not None:
        raise ActingRefused(
            _("%(name)s a retiré l'habilitation « %(family)s » le %(date)s : vous ne pouvez plus faire ces démarches.")
            % {
                "name": person.full_name,
                "family": authorization.get_family_display(),
                "date": date_format(timezone.localtime(authorization.revoked_at), "j F Y à H:i"),
            },
            "authorization_revoked",
            mandate,
        )
    return Acting(
        person=person, mandate=mandate, authorization=authorization, mediator=user, organisation=organisation
    )


def acting_for(request: HttpRequest) -> Acting | None:
    """The acting state of this request (read from the database once per request), or None.

    Raises ActingRefused when the session says "acting" but the mandate no longer allows it; the middleware
    turns that into a refusal page and ends the mode, so views only ever see a valid Acting or None.
    """
    if hasattr(request, _CACHE_ATTR):
        return getattr(request, _CACHE_ATTR)
    session = getattr(request, "session", None)
    ids = session.get(SESSION_KEY) if session is not None else None
    acting = None
    if ids:
        acting = check(user=request.user, mandate_id=ids.get("mandate"), authorization_id=ids.get("authorization"))
    setattr(request, _CACHE_ATTR, acting)
    return acting


def person_for(request: HttpRequest) -> Person | None:
    """The person a view works for: the acted-for person in acting mode, else the logged-in user's person."""
    acting = acting_for(request)
    if acting is not None:
        return acting.person
    return getattr(request.user, "person", None) if request.user.is_authenticated else None


def acting_start(request: HttpRequest, *, mandate: Mandate, family: str) -> Acting:
    """Enter acting mode for a mandate's family (checked as on every request); journaled."""
    authorization = mandate.authorizations.filter(family=family).first()
    if authorization is None:
        raise ActingRefused(_("Ce mandat ne couvre pas ces démarches."), "scope", mandate)
    acting = check(user=request.user, mandate_id=mandate.public_id, authorization_id=authorization.public_id)
    request.session[SESSION_KEY] = {"mandate": str(mandate.public_id), "authorization": str(authorization.public_id)}
    setattr(request, _CACHE_ATTR, acting)
    event_record(
        action=AuditAction.ACTING_STARTED,
        actor=acting.mediator,
        subject=acting.person,
        target=mandate,
        data=acting.refs(),
    )
    return acting


def acting_stop(request: HttpRequest) -> None:
    """Leave acting mode (journaled when it was valid)."""
    acting = None
    with contextlib.suppress(ActingRefused):
        acting = acting_for(request)
    request.session.pop(SESSION_KEY, None)
    setattr(request, _CACHE_ATTR, None)
    if acting is not None:
        event_record(
            action=AuditAction.ACTING_STOPPED,
            actor=acting.mediator,
            subject=acting.person,
            target=acting.mandate,
            data=acting.refs(),
        )


def refusal(request: HttpRequest, message: str, *, ended: bool = False) -> HttpResponse:
    """The 403 page a mediator sees when an action is refused, with the reason and the way back."""
    return render(request, "mediation/refused.html", {"message": message, "ended": ended}, status=403)


def scope_refusal(request: HttpRequest, *families: str, public: bool = False) -> HttpResponse | None:
    """The 403 page when this request may not act under ``families``, else None.

    For views that learn the family only after loading an object (a procedure type):
    ``if (refused := scope_refusal(request, family_for_service_kind(procedure.service.kind))): return refused``.
    """
    acting = acting_for(request)
    if acting is None:
        if public or is_citizen(request.user):
            return None
        if is_verified_mediator(request.user):
            return refusal(request, _("Choisissez d'abord la personne pour qui vous agissez."))
        return refusal(request, _("Cette page est réservée à la personne concernée."))
    if acting.family in families:
        return None
    if not any(families):
        return refusal(request, _("Cette démarche ne peut pas être faite par un médiateur pour une autre personne."))
    needed = ", ".join(f"« {Family(family).label} »" for family in families if family)
    return refusal(
        request,
        _(
            "Vous agissez pour %(name)s pour les démarches « %(current)s ». Cette action relève de "
            "%(needed)s : elle est hors du champ choisi. Si le mandat la couvre, changez de démarches "
            "depuis l'espace médiation."
        )
        % {"name": acting.person.full_name, "current": acting.family_label, "needed": needed},
    )


def require_authorization(*families: str, public: bool = False) -> Callable:
    """A view for a citizen acting for themselves, or for a mediator acting under one of ``families``.

    With ``public=True`` anyone may use the view outside acting mode (the simulator); in acting mode the family
    is always checked.
    """
    for family in families:
        Family(family)  # a typo fails at import time, not at request time

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refused = scope_refusal(request, *families, public=public)
            return refused if refused is not None else view(request, *args, **kwargs)

        return wrapped

    return decorator


def record_action(
    *,
    request_or_acting: HttpRequest | Acting,
    action: AuditAction,
    target: Any = None,
    data: dict[str, Any] | None = None,
    receipt: str = "",
) -> AuditEvent:
    """Journal an action done on the person's behalf; the person's own journal shows it.

    ``receipt``, when given, is a short French sentence sent to the person (email, or letter for people reached
    by post) as a receipt of the action.
    """
    acting = request_or_acting if isinstance(request_or_acting, Acting) else acting_for(request_or_acting)
    if acting is None:
        raise ValueError("record_action needs a request in acting mode")
    event = event_record(
        action=action,
        actor=acting.mediator,
        subject=acting.person,
        target=target,
        data={**(data or {}), **acting.refs()},
    )
    if receipt:
        from guichet.notifications.services import notification_send

        notification_send(
            person=acting.person,
            kind="mediation_receipt",
            subject=_("Une démarche a été faite pour vous par %(organisation)s")
            % {"organisation": acting.organisation},
            body=_(
                "%(what)s\n\nPar un médiateur de %(organisation)s, au titre du mandat que vous lui avez donné. "
                "Vous pouvez voir tout ce qui a été fait pour vous, et révoquer ce mandat, dans votre compte ou "
                "auprès de l'organisation."
            )
            % {"what": receipt, "organisation": acting.organisation.name},
            link=reverse("mediation:mine"),
            key=f"mediation-receipt:{event.hash[:40]}",
        )
    return event
