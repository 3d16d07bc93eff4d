"""Browsers an account has logged in from, or that opened the link emailed when its login ceiling was reached.

A signed cookie lists the public ids of up to ``KEEP`` accounts. While an account is under a guessing attack from
many addresses (``LOGIN_ACCOUNT_MAX_FAILURES``), only such browsers may still try its password: the person goes on
logging in where they always do, the attacker does not get one more guess (docs/decisions/2026-12-07-lockout-store.md).
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from guichet.accounts.models import User

COOKIE_NAME = "guichet_navigateur"
SALT = "guichet.accounts.known-browser"
KEEP = 5


def _max_age() -> int:
    return settings.LOGIN_TRUSTED_BROWSER_DAYS * 24 * 3600


def _accounts(request: HttpRequest) -> list[str]:
    value = request.get_signed_cookie(COOKIE_NAME, default="", salt=SALT, max_age=_max_age())
    return [public_id for public_id in value.split(",") if public_id]


def is_known(request: HttpRequest, user: User) -> bool:
    return str(user.public_id) in _accounts(request)


def remember(request: HttpRequest, response: HttpResponse, user: User) -> None:
    """Add the account to the browser's cookie (most recent first), which starts its lifetime again."""
    mine = str(user.public_id)
    accounts = [mine, *(public_id for public_id in _accounts(request) if public_id != mine)][:KEEP]
    response.set_signed_cookie(
        COOKIE_NAME,
        ",".join(accounts),
        salt=SALT,
        max_age=_max_age(),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
