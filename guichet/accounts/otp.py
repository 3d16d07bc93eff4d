"""Second factor for staff: a TOTP application (django-otp) plus single-use backup codes.

Services here follow the project's rules: keyword-only, atomic, audited.
"""

import base64
import secrets

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from guichet.accounts.models import User
from guichet.audit.enums import AuditAction
from guichet.audit.services import event_record
from guichet.core import ratelimit

TOTP_NAME = "application"
BACKUP_NAME = "codes de secours"


class OtpRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def has_confirmed_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """The unconfirmed TOTP device being set up (created once, reused until confirmed)."""
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
    key = _limit_key(user)
    if ratelimit.is_limited(key, settings.OTP_MAX_FAILURES):
        raise OtpRefused(
            _("Trop de codes incorrects. Réessayez dans %(minutes)d minutes ou contactez votre administrateur.")
            % {"minutes": settings.OTP_LOCKOUT_SECONDS // 60}
        )
    return key


def _failed(user: User, key: str) -> None:
    ratelimit.hit(key, settings.OTP_LOCKOUT_SECONDS)
    event_record(action=AuditAction.LOGIN_OTP_FAILED, actor=user, subject=user)


def _clean(token: str) -> str:
    return "".join(token.split())


def totp_enrolment_confirm(*, request: HttpRequest, user: User, token: str) -> list[str]:
    """Confirm the device with a first code, create the backup codes and mark the session verified.

    Returns the backup codes, shown once and never again.
    """
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
    """Remove a user's second factor (lost phone): they enrol again at their next login. Audited."""
    count, _detail = TOTPDevice.objects.filter(user=user).delete()
    static, _detail = StaticDevice.objects.filter(user=user).delete()
    event_record(action=AuditAction.OTP_DEVICE_RESET, actor=by, subject=user, target=user)
    return count + static
