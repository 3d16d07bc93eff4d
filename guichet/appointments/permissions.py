"""Who may do what with appointments: plain predicates on the user."""

from typing import Any

from guichet.accounts.enums import Role
from guichet.accounts.permissions import has_person, is_citizen


def can_book_online(user: Any) -> bool:
    """A citizen books for themself, from an account whose email address is verified."""
    return is_citizen(user) and has_person(user) and user.email_verified_at is not None


def can_use_own_bookings(user: Any) -> bool:
    return is_citizen(user) and has_person(user)


def is_desk_agent(user: Any) -> bool:
    """Agents at a counter or on the phone, their supervisors and territory admins."""
    return bool(user.is_authenticated and user.role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN))


def can_supervise_appointments(user: Any) -> bool:
    """Suspicious patterns report and lottery draws."""
    return bool(user.is_authenticated and user.role in (Role.SUPERVISOR, Role.ADMIN))
