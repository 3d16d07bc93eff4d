"""The keys of the audit journal's chain: HMAC-SHA256 keys from the environment, never from the database.

`AUDIT_CHAIN_KEY` signs new events; `AUDIT_CHAIN_OLD_KEYS` keeps the keys used before it, so that events signed
before a rotation still verify. Each event stores the id of its key: a fingerprint derived from the key, which
names it without revealing it, so no id is ever configured by hand or can disagree with its key.
"""

import functools
import hashlib
import hmac
from dataclasses import dataclass, field

from django.conf import settings

# Only a key's id is derived with this label: a MAC of an event can never equal a key's id.
_KEY_ID_LABEL = b"guichet audit chain key id"
KEY_ID_LENGTH = 16


def key_id_of(secret: str) -> str:
    """The public id of a key: the start of its HMAC over a fixed label."""
    return hmac.new(secret.encode(), _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:KEY_ID_LENGTH]


@dataclass(frozen=True)
class ChainKey:
    id: str
    secret: bytes = field(repr=False)  # never in a log line or a traceback's repr

    def mac(self, message: bytes) -> str:
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def verifies(self, message: bytes, mac: str) -> bool:
        return hmac.compare_digest(self.mac(message), mac)


@dataclass(frozen=True)
class KeyRing:
    current: ChainKey
    by_id: dict[str, ChainKey] = field(repr=False)


@functools.cache
def _ring(current: str, old: tuple[str, ...]) -> KeyRing:
    keys = [ChainKey(id=key_id_of(secret), secret=secret.encode()) for secret in (current, *old)]
    return KeyRing(current=keys[0], by_id={key.id: key for key in keys})


def key_ring() -> KeyRing:
    """The current key and every key that still verifies events, from the settings (read from the environment)."""
    return _ring(settings.AUDIT_CHAIN_KEY, tuple(settings.AUDIT_CHAIN_OLD_KEYS))
