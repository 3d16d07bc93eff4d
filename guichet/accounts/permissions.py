"""Who may do what with accounts: plain predicates on the user."""

from typing import Any

from guichet.accounts.enums import STAFF_ROLES, Role


def is_citizen(user: Any) -> bool:
    return bool(user.is_authenticated and user.role == Role.CITIZEN)


def has_person(user: Any) -> bool:
    return bool(user.is_authenticated and hasattr(user, "person"))


def needs_second_factor(user: Any) -> bool:
    """Staff roles, and anyone who can reach the Django admin, log in with a second factor."""
    return bool(user.is_authenticated and (user.role in STAFF_ROLES or user.is_staff or user.is_superuser))


def can_link_oidc_identity(user: Any) -> bool:
    """A citizen links their own FranceConnect identity to their account."""
    return is_citizen(user) and has_person(user)
