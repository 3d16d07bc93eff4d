"""Storing supporting documents: type sniffed from the content, size capped, kept outside the web root."""

import hashlib
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# The first bytes of each accepted format; the extension and the browser's claimed type are not trusted.
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from a file's first bytes, or None when it is not an accepted format."""
    for magic, content_type, extension in SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


def check_upload(uploaded) -> tuple[str, str]:
    """Refuse an empty, oversized or wrong-type file with a clear message; return (content type, extension)."""
    limit = settings.DOCUMENT_MAX_BYTES
    if uploaded.size == 0:
        raise ValidationError(_("Le fichier « %(name)s » est vide.") % {"name": uploaded.name})
    if uploaded.size > limit:
        raise ValidationError(
            _("Le fichier « %(name)s » est trop lourd : %(limit)s Mo au maximum.")
            % {"name": uploaded.name, "limit": round(limit / 1024 / 1024, 1)}
        )
    uploaded.seek(0)
    found = sniff(uploaded.read(16))
    uploaded.seek(0)
    if found is None:
        raise ValidationError(
            _("Le fichier « %(name)s » n'est ni un PDF, ni une image JPEG ou PNG.") % {"name": uploaded.name}
        )
    return found


def root() -> Path:
    return Path(settings.PRIVATE_STORAGE_ROOT)


def store(uploaded) -> tuple[str, str]:
    """Write the file under PRIVATE_STORAGE_ROOT/documents; return (relative path, sha256)."""
    directory = root() / "documents"
    directory.mkdir(parents=True, exist_ok=True)
    relative = f"documents/{uuid.uuid4().hex}"
    digest = hashlib.sha256()
    uploaded.seek(0)
    with open(root() / relative, "wb") as out:
        for chunk in uploaded.chunks():
            digest.update(chunk)
            out.write(chunk)
    return relative, digest.hexdigest()


def absolute(relative: str) -> Path:
    path = (root() / relative).resolve()
    if root().resolve() not in path.parents:
        raise ValueError("document path outside private storage")
    return path
