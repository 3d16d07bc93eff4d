"""Who may do what with accounts: plain predicates on the user."""

from typing import Any

from guichet.accounts.enums import Role


def is_citizen(user: Any) -> bool:
    return bool(user.is_authenticated and user.role == Role.CITIZEN)


def has_person(user: Any) -> bool:
    return bool(user.is_authenticated and hasattr(user, "person"))


def is_territory_admin(user: Any) -> bool:
    return bool(user.is_authenticated and user.role == Role.ADMIN and user.is_staff)
