"""Second factor for staff: a TOTP application (django-otp) plus single-use backup codes.

A staff member enrols only through a one-time, expiring link an administrator sends to their address
(``enrolment_link_send``): their password alone never lets them, or whoever holds it, set up a device.
Opening the link while logged in to the same account lets that session enrol (``enrolment_allowed``).

Services here follow the project's rules: keyword-only, atomic, audited.
"""

import base64
import datetime
import hashlib
import secrets

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from guichet.accounts.models import StaffEnrolmentLink, User
from guichet.accounts.permissions import needs_second_factor
from guichet.audit.enums import AuditAction
from guichet.audit.services import event_record
from guichet.core import ratelimit

TOTP_NAME = "application"
BACKUP_NAME = "codes de secours"
# Session key: the account whose enrolment link this session opened, and which link.
ENROLMENT_GRANT = "guichet_otp_enrolment"


class OtpRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def has_confirmed_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def totp_enrolment_start(*, request: HttpRequest, user: User) -> TOTPDevice:
    """The unconfirmed TOTP device being set up (created once, reused until confirmed).

    Only for a session that opened a valid enrolment link of this account.
    """
    if not enrolment_allowed(request, user):
        raise OtpRefused(enrolment_needed_message())
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def totp_secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG (no script, no style: fits the CSP)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg = image.to_string(encoding="unicode")
    label = _("QR code à scanner avec votre application d'authentification")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def _limit_key(user: User) -> str:
    return ratelimit.make_key("otp", str(user.pk))


def _check_rate(user: User) -> str:
    """Count this code attempt before checking it, so that parallel guesses cannot all pass one check; a right code
    resets the count (only wrong codes add up)."""
    key = _limit_key(user)
    if not ratelimit.attempt(
        key, limit=settings.OTP_MAX_FAILURES, window_seconds=settings.OTP_LOCKOUT_SECONDS, label=user.email
    ):
        raise OtpRefused(
            _("Trop de codes incorrects. Réessayez dans %(minutes)d minutes ou contactez votre administrateur.")
            % {"minutes": settings.OTP_LOCKOUT_SECONDS // 60}
        )
    return key


def _failed(user: User, key: str) -> None:
    # The attempt was counted by ``_check_rate``; a wrong code keeps it counted.
    event_record(action=AuditAction.LOGIN_OTP_FAILED, actor=user, subject=user)


def _clean(token: str) -> str:
    return "".join(token.split())


def totp_enrolment_confirm(*, request: HttpRequest, user: User, token: str) -> list[str]:
    """Confirm the device with a first code, create the backup codes and mark the session verified.

    Returns the backup codes, shown once and never again.
    """
    if not enrolment_allowed(request, user):
        raise OtpRefused(enrolment_needed_message())
    key = _check_rate(user)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            raise OtpRefused(_("Aucune activation en cours. Rechargez la page."))
        accepted = device.verify_token(_clean(token))
        if accepted:
            TOTPDevice.objects.filter(user=user, confirmed=True).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = backup_codes_create(user=user)
            request.session.pop(ENROLMENT_GRANT, None)  # the link has served: enrolling again needs a new one
            _session_verified(request, device)
            event_record(action=AuditAction.OTP_ENROLLED, actor=user, subject=user, target=user)
    if not accepted:
        _failed(user, key)  # outside the transaction above: the failure stays recorded
        raise OtpRefused(_("Ce code n'est pas valide. Vérifiez l'heure de votre téléphone et réessayez."))
    ratelimit.reset(key)
    return codes


@transaction.atomic
def backup_codes_create(*, user: User) -> list[str]:
    """Replace the user's backup codes with new ones (each usable once)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    codes = [f"{secrets.randbelow(10**10):010d}" for _i in range(settings.OTP_BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def otp_verify(*, request: HttpRequest, user: User, token: str) -> None:
    """Check a TOTP or backup code for the logged-in staff user; on success the session is verified."""
    key = _check_rate(user)
    token = _clean(token)
    with transaction.atomic():
        device = django_otp.match_token(user, token) if token else None
        if device is not None:
            _session_verified(request, device)
            event_record(
                action=AuditAction.OTP_VERIFIED,
                actor=user,
                subject=user,
                data={"backup_code": isinstance(device, StaticDevice)},
            )
    if device is None:
        _failed(user, key)
        raise OtpRefused(_("Ce code n'est pas valide."))
    ratelimit.reset(key)


def _session_verified(request: HttpRequest, device) -> None:
    # A new session key once the second factor is passed: a key seen before it is worth nothing after.
    request.session.cycle_key()
    django_otp.login(request, device)


@transaction.atomic
def otp_devices_reset(*, user: User, by: User) -> int:
    """Remove a user's second factor (lost phone) and email them a new enrolment link. Audited."""
    count, _detail = TOTPDevice.objects.filter(user=user).delete()
    static, _detail = StaticDevice.objects.filter(user=user).delete()
    event_record(action=AuditAction.OTP_DEVICE_RESET, actor=by, subject=user, target=user)
    if needs_second_factor(user):
        enrolment_link_send(user=user, by=by)
    return count + static


# --- Enrolment links ---


class EnrolmentLinkRefused(OtpRefused):
    pass


def _token_hash(token: str) -> str:
    # The token is 256 random bits: a plain hash is enough, a slow one would add nothing.
    return hashlib.sha256(token.encode()).hexdigest()


def enrolment_link_validity() -> str:
    """How long a new enrolment link stays valid, in words."""
    seconds = settings.STAFF_ENROLMENT_LINK_SECONDS
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(count)d heure", "%(count)d heures", hours) % {"count": hours}
    minutes = max(1, seconds // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def enrolment_needed_message() -> str:
    return _(
        "Pour activer votre second facteur, demandez à un administrateur de vous envoyer un lien d'activation "
        "par courriel, puis ouvrez-le en étant connecté(e) à ce compte."
    )


@transaction.atomic
def enrolment_link_send(*, user: User, by: User | None, deliver: bool = True) -> str:
    """Create a one-time enrolment link for a staff member, email it to their address, journal it; return it.

    ``deliver=False`` (the demo, ``guichet staff_enrol_link --print``) only returns the link, for whoever runs the
    server to hand over. A new link replaces the account's links not yet opened. The email is sent inside the
    transaction: if it cannot be handed to the mail server, no link exists and nothing is journaled.
    """
    if not needs_second_factor(user):
        raise OtpRefused(_("Ce compte n'a pas de second facteur à activer : seul le personnel en a un."))
    now = timezone.now()
    StaffEnrolmentLink.objects.filter(user=user).pending().update(expires_at=now, updated_at=now)
    token = secrets.token_urlsafe(32)
    link = StaffEnrolmentLink.objects.create(
        user=user,
        token_hash=_token_hash(token),
        expires_at=now + datetime.timedelta(seconds=settings.STAFF_ENROLMENT_LINK_SECONDS),
        created_by=by,
    )
    url = settings.SITE_URL + reverse("accounts:otp_enrolment_link", args=[token])
    if deliver:
        context = {"user": user, "link": url, "expires_at": link.expires_at, "validity": enrolment_link_validity()}
        send_mail(
            subject=_("Guichet : activez le second facteur de votre compte"),
            message=render_to_string("accounts/email/staff_enrolment_link.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
    event_record(
        action=AuditAction.OTP_ENROLMENT_LINK_SENT,
        actor=by,
        subject=user,
        target=link,
        data={"delivery": "email" if deliver else "printed", "seconds": settings.STAFF_ENROLMENT_LINK_SECONDS},
    )
    return url


def _refusal_message(reason: str) -> str:
    return {
        "unknown": _(
            "Ce lien d'activation n'est pas valide. Vérifiez qu'il est complet, ou demandez-en un nouveau à un "
            "administrateur."
        ),
        "other_account": _(
            "Ce lien d'activation a été envoyé pour un autre compte. Déconnectez-vous, puis connectez-vous avec le "
            "compte auquel il est destiné."
        ),
        "used": _("Ce lien d'activation a déjà servi. Demandez-en un nouveau à un administrateur."),
        "expired": _(
            "Ce lien d'activation a expiré, ou un lien plus récent l'a remplacé. Demandez-en un nouveau à un "
            "administrateur."
        ),
    }[reason]


def enrolment_link_open(*, request: HttpRequest, user: User, token: str) -> StaffEnrolmentLink:
    """Spend the enrolment link ``token`` for the logged-in ``user``: this session may then enrol a device.

    Refused (and journaled) when the link is unknown, another account's, already opened or expired. A device
    left unconfirmed earlier is discarded: its secret may have been shown to someone else.
    """
    now = timezone.now()
    with transaction.atomic():
        link = StaffEnrolmentLink.objects.select_for_update().filter(token_hash=_token_hash(token)).first()
        if link is None:
            reason = "unknown"
        elif link.user_id != user.pk:
            reason = "other_account"  # checked first: says nothing to another account about the link's state
        elif link.used_at is not None:
            reason = "used"
        elif link.expires_at <= now:
            reason = "expired"
        else:
            reason = ""
            link.used_at = now
            link.save(update_fields=["used_at", "updated_at"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            request.session[ENROLMENT_GRANT] = {"user": user.pk, "link": link.pk}
            event_record(action=AuditAction.OTP_ENROLMENT_LINK_OPENED, actor=user, subject=user, target=link)
        if reason:
            event_record(
                action=AuditAction.OTP_ENROLMENT_LINK_REFUSED,
                actor=user,
                subject=link.user if link is not None else user,
                target=link,
                data={"reason": reason},
            )
    if reason:
        raise EnrolmentLinkRefused(_refusal_message(reason))
    return link


def enrolment_allowed(request: HttpRequest, user: User) -> bool:
    """Whether this session opened a valid enrolment link of ``user`` and has not enrolled with it yet."""
    grant = request.session.get(ENROLMENT_GRANT)
    if not isinstance(grant, dict) or grant.get("user") != user.pk:
        return False
    return StaffEnrolmentLink.objects.filter(pk=grant.get("link"), user=user, used_at__isnull=False).exists()
