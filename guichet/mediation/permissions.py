"""Who may do what in mediation: plain predicates on the user.

Object rules are QuerySets: a mediator reaches a mandate only through ``Mandate.objects.for_mediator(user)``
(404 otherwise), a person only their own mandates through ``Mandate.objects.for_person(person)``.
"""

from typing import Any

from guichet.accounts.enums import Role
from guichet.accounts.permissions import is_citizen


def is_mediator(user: Any) -> bool:
    return bool(user.is_authenticated and user.role == Role.MEDIATOR)


def can_see_own_mandates(user: Any) -> bool:
    return is_citizen(user) and hasattr(user, "person")
