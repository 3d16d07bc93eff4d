"""Who may use the simulator: everyone may simulate; saving and updating a household need a citizen account."""

from typing import Any

from guichet.accounts.permissions import is_citizen


def can_save_simulation(user: Any) -> bool:
    return is_citizen(user)
