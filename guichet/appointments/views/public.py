"""Pages reached without logging in: the published draws, and each agenda's calendar feed (secret link)."""

import datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.appointments import ical, lottery
from guichet.appointments.models import Agenda, Booking, LotteryWindow, hash_feed_token
from guichet.core.policy import public

FEED_PAST_DAYS = 7


@public
def lottery_list(request: HttpRequest) -> HttpResponse:
    windows = LotteryWindow.objects.drawn().select_related("agenda__service", "agenda__place")
    return render(request, "appointments/lottery_list.html", {"windows": windows})


@public
def lottery_public(request: HttpRequest, public_id) -> HttpResponse:
    """A draw's seed, algorithm and ranking: anyone can re-run it (published once drawn)."""
    window = get_object_or_404(
        LotteryWindow.objects.drawn().select_related("agenda__service", "agenda__place"), public_id=public_id
    )
    statuses = {str(key): status for key, status in window.requests.values_list("public_id", "status")}
    ranking = [
        {"id": request_id, "key": lottery.rank_key(window.seed, request_id), "won": statuses.get(request_id) == "won"}
        for request_id in window.draw_order
    ]
    context = {"window": window, "ranking": ranking, "algorithm": lottery.ALGORITHM, "explanation": lottery.__doc__}
    return render(request, "appointments/lottery_public.html", context)


@public
def agenda_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The agenda's appointments as an iCalendar feed, for the agents' calendar clients (which cannot log in)."""
    if len(token) < 20:
        raise Http404
    agenda = Agenda.objects.filter(feed_token_hash=hash_feed_token(token)).select_related("service", "place").first()
    if agenda is None:
        raise Http404
    since = timezone.now() - datetime.timedelta(days=FEED_PAST_DAYS)
    bookings = (
        Booking.objects.filter(slot__agenda=agenda, slot__starts_at__gte=since)
        .holding()
        .select_related("slot", "person")
        .order_by("slot__starts_at")
    )
    events = [
        ical.Event(
            uid=f"{b.public_id}@guichet",
            starts_at=b.slot.starts_at,
            ends_at=b.slot.ends_at,
            # Initial of the last name only: the feed lives in calendar apps, outside Guichet.
            summary=_("Rendez-vous : %(name)s") % {"name": f"{b.person.first_name} {b.person.last_name[:1]}."},
            location=agenda.place.name,
            description=_("Référence : %(ref)s") % {"ref": str(b.public_id)[:8]},
        )
        for b in bookings
    ]
    response = HttpResponse(ical.calendar(events, name=str(agenda)), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response
