"""Published heads of the audit journal: a plain-text file outside the database, one line a day.

A line is ``DATE SEQ KEY_ID MAC`` (``2026-12-07 1234 3f2a9c1e5b7d0a44 9b1d...``): on that date the journal's last
event was number SEQ, signed with the key KEY_ID, and its MAC was MAC. ``guichet audit_verify`` fails when a
published event is no longer in the journal with that MAC, or when the journal ends before it. A line ending with
``rekey`` was written by ``guichet audit_rekey``: the chain was signed again from a verified state, and the lines
before it, which name the former MACs, no longer apply.
"""

import datetime
import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from guichet.audit.keys import KEY_ID_LENGTH

HEADER = (
    "# Published heads of Guichet's audit journal, one line a day: date, number of the last event, id of its key,\n"
    "# its HMAC-SHA256. Appended by `guichet audit_publish`; `guichet audit_verify` checks the journal against them.\n"
)
NO_KEY = "-"  # the key id of the head of an empty journal
_LINE = re.compile(
    rf"^(?P<date>\d{{4}}-\d{{2}}-\d{{2}}) (?P<seq>\d+) (?P<key_id>[0-9a-f]{{{KEY_ID_LENGTH}}}|-) "
    r"(?P<mac>[0-9a-f]{64})(?P<rekey> rekey)?$"
)


class HeadsFileError(Exception):
    """The published heads cannot be read: a line is not a head."""


@dataclass(frozen=True)
class PublishedHead:
    date: datetime.date
    seq: int
    key_id: str
    mac: str
    rekey: bool = False

    def line(self) -> str:
        return f"{self.date.isoformat()} {self.seq} {self.key_id or NO_KEY} {self.mac}{' rekey' if self.rekey else ''}"

    def __str__(self) -> str:
        return f"the head published on {self.date.isoformat()} (#{self.seq})"


def heads_parse(text: str, *, source: str = "the published heads") -> list[PublishedHead]:
    heads = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise HeadsFileError(f"line {number} of {source} is not a published head: {line[:80]!r}")
        try:
            date = datetime.date.fromisoformat(match["date"])
        except ValueError as exc:
            raise HeadsFileError(f"line {number} of {source} has an impossible date: {match['date']}") from exc
        key_id = "" if match["key_id"] == NO_KEY else match["key_id"]
        heads.append(PublishedHead(date, int(match["seq"]), key_id, match["mac"], rekey=bool(match["rekey"])))
    return heads


def heads_read(path: Path) -> list[PublishedHead]:
    """Every head published in the file, in the file's order; none when the file does not exist yet."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return heads_parse(text, source=str(path))


def heads_in_force(heads: list[PublishedHead]) -> list[PublishedHead]:
    """The heads the journal must still contain: those from the last re-key on."""
    last_rekey = max((index for index, head in enumerate(heads) if head.rekey), default=0)
    return heads[last_rekey:]


@contextmanager
def heads_file_locked(path: Path) -> Iterator[Path]:
    """Hold an exclusive lock on the heads file (created if needed), so that two publications never interleave."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def heads_append(path: Path, head: PublishedHead) -> None:
    """Append one line, on disk before returning. Call it with the file locked."""
    path = Path(path)
    new = not path.exists() or path.stat().st_size == 0
    with open(path, "a", encoding="utf-8") as handle:
        if new:
            handle.write(HEADER)
        handle.write(head.line() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
