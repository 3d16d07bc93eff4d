"""Small request helpers shared by every app's views."""

from django.http import HttpRequest, QueryDict


def posted(request: HttpRequest) -> QueryDict | None:
    """The submitted data, or None on GET. Not ``request.POST or None``: an empty POST must still bind the form."""
    return request.POST if request.method == "POST" else None
