"""The draw: a ranking anyone can recompute from the published seed and the list of request ids.

Algorithm (published on every draw's page):

1. The eligible requests are identified by their public id (a random UUID, known to each requester).
2. Each id gets the key ``SHA-256(seed + ":" + id)`` in hexadecimal.
3. Requests are ranked by that key, smallest first (ties, which cannot happen in practice, by id).
4. Following that order, each request gets the earliest free slot of the period; when the slots run out,
   the remaining requests are not retained.

The seed is drawn from the operating system's secure random source at the moment of the draw, after
the requests are closed, so that no one can choose a place in the ranking.
"""

import hashlib
import secrets

ALGORITHM = "sha256-rank-v1"


def new_seed() -> str:
    return secrets.token_hex(32)


def rank_key(seed: str, request_id: str) -> str:
    return hashlib.sha256(f"{seed}:{request_id}".encode()).hexdigest()


def rank(seed: str, request_ids: list[str]) -> list[str]:
    """The request ids in draw order for this seed (independent of the order they are given in)."""
    return sorted((str(i) for i in request_ids), key=lambda i: (rank_key(seed, i), i))
