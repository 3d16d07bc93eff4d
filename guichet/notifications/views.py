from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from guichet.accounts.permissions import has_person
from guichet.core.policy import require
from guichet.notifications.models import Notification


@require(has_person)
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.for_person(request.user.person)[:100]
    return render(request, "notifications/inbox.html", {"notifications": notifications})


@require(has_person)
def letter(request: HttpRequest, public_id) -> HttpResponse:
    """A copy of a letter sent to me by post."""
    notification = get_object_or_404(
        Notification.objects.for_person(request.user.person).exclude(letter=""), public_id=public_id
    )
    path = Path(settings.PRIVATE_STORAGE_ROOT) / notification.letter
    if not path.is_file():
        raise Http404
    response = HttpResponse(path.read_bytes(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="courrier-{public_id}.pdf"'
    return response
