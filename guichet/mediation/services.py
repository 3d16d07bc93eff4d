"""Writes of the mediation app: mandates and their consent, revocations, reminders, records and account takeover.

Every write is audited with the person as subject, so that their own journal shows it. Codes (consent codes,
takeover codes) are never stored: only a keyed hash (HMAC with the secret key), an expiry and a count of attempts.

Who consents: a person who has an account, by their own action only (confirming from their account, or reading out
a one-time code sent to their verified address or their phone); a person without an account, by signing the
printed mandate at the counter after the mediator checked an identity document. A mandate not confirmed within
``CONFIRM_WITHIN_DAYS`` lapses. ``Mandate.objects.confirmed()`` re-checks all this wherever acting is allowed.
"""

import datetime
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from guichet.accounts.enums import ContactChannel, Role
from guichet.accounts.models import Person, User
from guichet.audit.enums import AuditAction
from guichet.audit.services import event_record
from guichet.mediation.enums import (
    CodeChannel,
    ConsentMethod,
    Duration,
    Family,
    IdentityDocument,
    MandateState,
    RevokedBy,
    duration_end,
)
from guichet.mediation.models import (
    Authorization,
    ConsentCode,
    Mandate,
    Membership,
    Organisation,
    TakeoverCode,
)
from guichet.notifications.services import notification_send

CONSENT_CODE_MINUTES = 15
CONSENT_CODE_MAX_ATTEMPTS = 5
CONSENT_CODES_PER_HOUR = 5
TAKEOVER_CODE_DAYS = 90
TAKEOVER_MAX_ATTEMPTS = 5
TAKEOVER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed from paper
REMINDER_DAYS = 30


class CodeRefused(Exception):
    """A consent or takeover code refused, with the message to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA-256 of a short code: without the secret key, the stored hash cannot be brute-forced offline."""
    return hmac.new(settings.SECRET_KEY.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _refs(mandate: Mandate) -> dict[str, str]:
    return {"mandate": str(mandate.public_id), "organisation": str(mandate.organisation.public_id)}


def is_current_member(user: User, organisation: Organisation) -> bool:
    return Membership.objects.current().filter(user=user, organisation=organisation).exists()


def _require_member(user: User, organisation: Organisation) -> None:
    if user.role != Role.MEDIATOR or not is_current_member(user, organisation):
        raise ValidationError(_("Vous ne faites pas partie de cette organisation."))


def mediator_name(user: User) -> str:
    """How a mediator is named to the person: their name, or their address when the account has no person."""
    person = getattr(user, "person", None)
    return person.full_name if person is not None else user.email


def has_verified_email(person: Person) -> bool:
    return bool(person.user_id and person.user.email and person.user.email_verified_at)


def _families_text(mandate: Mandate) -> str:
    return ", ".join(str(Family(a.family).label) for a in mandate.authorizations.all() if a.revoked_at is None)


# --- Preparing a mandate ---


def consent_text_for(
    *, mandate_id: str, person: Person, organisation: Organisation, families: Iterable[str], duration: str
) -> str:
    """The exact text the person agrees to: printed on the mandate, shown on their account, hashed."""
    scope = "\n".join(f"  - {Family(family).label}" for family in sorted(families))
    return _(
        "Mandat n° %(id)s\n\n"
        "Je soussigné(e) %(name)s%(birth)s donne mandat à l'organisation « %(organisation)s » pour que ses "
        "médiateurs, habilités et identifiés, réalisent pour mon compte les démarches suivantes :\n"
        "%(scope)s\n\n"
        "Durée : %(duration)s à compter de mon consentement.\n\n"
        "Je peux révoquer ce mandat, en tout ou pour une seule famille de démarches, à tout moment : depuis mon "
        "compte Guichet (« Mes mandats et ce qui a été fait pour moi ») ou auprès de l'organisation. Chaque "
        "action faite en mon nom est enregistrée dans mon journal, avec le nom du médiateur et de l'organisation, "
        "et je peux la consulter. Les médiateurs n'utilisent mes informations que pour ces démarches."
    ) % {
        "id": mandate_id,
        "name": person.full_name,
        "birth": _(", né(e) le %(date)s,") % {"date": date_format(person.birth_date, "j F Y")}
        if person.birth_date
        else "",
        "organisation": organisation.name,
        "scope": scope,
        "duration": Duration(duration).label,
    }


@transaction.atomic
def mandate_prepare(
    *,
    person: Person,
    organisation: Organisation,
    families: Iterable[str],
    duration: str,
    consent_method: str,
    by: User,
) -> Mandate:
    """Prepare a mandate for the person's consent: its authorisations and the exact text, hashed.

    It does nothing until the person consents, within ``CONFIRM_WITHIN_DAYS``: a person who has an account by their
    own action (``mandate_accept`` from their account, or a code: ``consent_code_send``/``consent_code_check``), and
    is told of the request at once; a person without an account by signing at the counter
    (``mandate_sign_in_person``).
    """
    _require_member(by, organisation)
    families = sorted(set(families))
    if not families or any(family not in Family.values for family in families):
        raise ValidationError(_("Choisissez au moins une famille de démarches."))
    if duration not in Duration.values:
        raise ValidationError(_("Choisissez une durée dans la liste."))
    if consent_method not in ConsentMethod.values:
        raise ValidationError(_("Choisissez comment la personne donne son consentement."))
    if consent_method == ConsentMethod.IN_PERSON and person.user_id is not None:
        raise ValidationError(
            _(
                "Cette personne a un compte : elle donne son accord elle-même, depuis son compte ou avec un code "
                "qu'elle reçoit. Le mandat signé au guichet est réservé aux personnes sans compte."
            )
        )
    if consent_method == ConsentMethod.REMOTE_ACCOUNT and person.user_id is None:
        raise ValidationError(_("Cette personne n'a pas de compte : recueillez son consentement autrement."))
    if consent_method == ConsentMethod.REMOTE_CODE and not (person.phone or has_verified_email(person)):
        raise ValidationError(_("Nous n'avons ni adresse électronique vérifiée ni téléphone pour envoyer un code."))
    mandate = Mandate(
        person=person,
        organisation=organisation,
        duration=duration,
        consent_method=consent_method,
        created_by=by,
    )
    mandate.consent_text = consent_text_for(
        mandate_id=str(mandate.public_id),
        person=person,
        organisation=organisation,
        families=families,
        duration=duration,
    )
    mandate.consent_text_sha256 = sha256_hex(mandate.consent_text)
    mandate.save()
    Authorization.objects.bulk_create([Authorization(mandate=mandate, family=family) for family in families])
    event_record(
        action=AuditAction.MANDATE_CREATED,
        actor=by,
        subject=person,
        target=mandate,
        data={**_refs(mandate), "families": families, "duration": duration, "method": consent_method},
    )
    if person.user_id is not None:
        _notify_request(mandate)
    return mandate


def _notify_request(mandate: Mandate) -> list:
    """Tell a person who has an account that a mandate waits for their answer (idempotent)."""
    deadline = date_format(timezone.localtime(mandate.confirm_before), "j F Y")
    return notification_send(
        person=mandate.person,
        kind="mandate_requested",
        subject=_("%(organisation)s vous demande un mandat") % {"organisation": mandate.organisation.name},
        body=_(
            "%(mediator)s, de %(organisation)s, vous demande un mandat pour faire en votre nom ces démarches : "
            "%(families)s, pendant %(duration)s. Rien ne peut être fait pour vous tant que vous n'avez pas donné "
            "votre accord. Lisez le texte exact du mandat dans votre compte et acceptez-le ou refusez-le avant le "
            "%(date)s ; sans réponse, la demande expire. Si vous n'avez rien demandé, refusez-le."
        )
        % {
            "mediator": mediator_name(mandate.created_by),
            "organisation": mandate.organisation.name,
            "families": _families_text(mandate),
            "duration": Duration(mandate.duration).label,
            "date": deadline,
        },
        link=reverse("mediation:mine"),
        key=f"mandate-requested:{mandate.public_id}",
    )


@transaction.atomic
def person_record_create(
    *,
    organisation: Organisation,
    by: User,
    first_name: str,
    last_name: str,
    birth_date: datetime.date,
    address_line: str,
    postal_code: str,
    city: str,
    phone: str = "",
    families: Iterable[str],
    duration: str,
) -> Mandate:
    """Create the record of a person with no email and no account, reached by post, with an in-person mandate.

    The person can later open their account on this record with a takeover code.
    """
    _require_member(by, organisation)
    if not (address_line.strip() and postal_code.strip() and city.strip()):
        raise ValidationError(_("Une adresse postale complète est nécessaire pour écrire à cette personne."))
    person = Person(
        user=None,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        birth_date=birth_date,
        address_line=address_line.strip(),
        postal_code=postal_code.strip(),
        city=city.strip(),
        phone=phone.strip(),
        contact_channel=ContactChannel.POSTAL,
    )
    person.full_clean()
    person.save()
    event_record(
        action=AuditAction.MEDIATION_RECORD_CREATED,
        actor=by,
        subject=person,
        target=person,
        data={"organisation": str(organisation.public_id)},
    )
    return mandate_prepare(
        person=person,
        organisation=organisation,
        families=families,
        duration=duration,
        consent_method=ConsentMethod.IN_PERSON,
        by=by,
    )


# --- Consent ---


def _locked(mandate: Mandate) -> Mandate:
    return Mandate.objects.select_for_update(of=("self",)).select_related("person", "organisation").get(pk=mandate.pk)


def _require_pending(mandate: Mandate) -> None:
    state = mandate.state()
    if state == MandateState.LAPSED:
        raise ValidationError(_("Le délai pour confirmer ce mandat est passé : il faut en préparer un nouveau."))
    if state == MandateState.REFUSED:
        raise ValidationError(_("La personne a refusé ce mandat."))
    if state != MandateState.PENDING:
        raise ValidationError(_("Ce mandat n'attend plus de consentement."))


def _activate(mandate: Mandate, *, actor: User, method: str, data: dict | None = None) -> Mandate:
    _require_pending(mandate)
    now = timezone.now()
    mandate.consent_method = method
    mandate.consented_at = mandate.starts_at = now
    mandate.consented_by = actor
    mandate.expires_at = duration_end(now, mandate.duration)
    mandate.save(
        update_fields=[
            "consent_method",
            "consented_at",
            "consented_by",
            "starts_at",
            "expires_at",
            "identity_document",
            "identity_document_end",
            "updated_at",
        ]
    )
    mandate.consent_codes.filter(used_at__isnull=True, expires_at__gt=now).update(expires_at=now, updated_at=now)
    event_record(
        action=AuditAction.MANDATE_CONSENTED,
        actor=actor,
        subject=mandate.person,
        target=mandate,
        data={**_refs(mandate), "method": method, "sha256": mandate.consent_text_sha256, **(data or {})},
    )
    until = date_format(timezone.localtime(mandate.expires_at), "j F Y à H:i")
    notification_send(
        person=mandate.person,
        kind="mandate_consented",
        subject=_("Vous avez donné un mandat à %(organisation)s") % {"organisation": mandate.organisation.name},
        body=_(
            "Les médiateurs de %(organisation)s peuvent faire pour vous les démarches prévues par le mandat "
            "jusqu'au %(until)s. Vous voyez tout ce qu'ils font pour vous, et pouvez révoquer ce mandat à tout "
            "moment, dans votre compte ou auprès de l'organisation."
        )
        % {"organisation": mandate.organisation.name, "until": until},
        link=reverse("mediation:mine"),
        key=f"mandate-consented:{mandate.public_id}",
    )
    return mandate


def normalise_document_end(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch not in " -./")


@transaction.atomic
def mandate_sign_in_person(
    *, mandate: Mandate, by: User, identity_document: str, identity_document_end: str
) -> Mandate:
    """The mediator records that a person without an account signed the printed mandate at the counter.

    The mediator checked an identity document first: its type and the last 4 characters of its number are kept
    (never the whole number). A person who has an account gives their consent themselves, never this way.
    """
    mandate = _locked(mandate)
    _require_member(by, mandate.organisation)
    if mandate.consent_method != ConsentMethod.IN_PERSON:
        raise ValidationError(_("Ce mandat n'est pas signé au guichet."))
    person = Person.objects.select_for_update().get(pk=mandate.person_id)
    if person.user_id is not None:
        raise ValidationError(
            _(
                "Cette personne a maintenant un compte : elle doit confirmer ce mandat elle-même, depuis son compte "
                "(page « Mes mandats et ce qui a été fait pour moi »)."
            )
        )
    if identity_document not in dict(IdentityDocument.checkable()):
        raise ValidationError({"identity_document": _("Choisissez la pièce d'identité que vous avez vérifiée.")})
    end = normalise_document_end(identity_document_end)
    if not re.fullmatch(r"[0-9A-Z]{4}", end):
        raise ValidationError(
            {
                "identity_document_end": _(
                    "Saisissez les 4 derniers caractères du numéro de la pièce (lettres ou chiffres), "
                    "jamais le numéro entier."
                )
            }
        )
    mandate.identity_document, mandate.identity_document_end = identity_document, end
    # The journal says which kind of document was checked; its characters stay on the mandate only.
    return _activate(mandate, actor=by, method=ConsentMethod.IN_PERSON, data={"identity_document": identity_document})


@transaction.atomic
def mandate_accept(*, mandate: Mandate, by: User) -> Mandate:
    """The person confirms, from their own account, a mandate prepared for them (whatever way it was to be given)."""
    mandate = _locked(mandate)
    if mandate.person.user_id is None or mandate.person.user_id != by.pk:
        raise ValidationError(_("Ce mandat ne vous concerne pas."))
    return _activate(mandate, actor=by, method=ConsentMethod.REMOTE_ACCOUNT)


@transaction.atomic
def mandate_refuse(*, mandate: Mandate, by: User) -> Mandate:
    """The person refuses, from their own account, a mandate prepared for them: it can never be used."""
    mandate = _locked(mandate)
    if mandate.person.user_id is None or mandate.person.user_id != by.pk:
        raise ValidationError(_("Ce mandat ne vous concerne pas."))
    _require_pending(mandate)
    now = timezone.now()
    mandate.refused_at = now
    mandate.save(update_fields=["refused_at", "updated_at"])
    mandate.consent_codes.filter(used_at__isnull=True, expires_at__gt=now).update(expires_at=now, updated_at=now)
    event_record(
        action=AuditAction.MANDATE_REFUSED,
        actor=by,
        subject=mandate.person,
        target=mandate,
        data={**_refs(mandate), "sha256": mandate.consent_text_sha256},
    )
    return mandate


def _send_code(mandate: Mandate, channel: str, code: str) -> None:
    text = _(
        "Guichet : %(mediator)s, de %(organisation)s, vous demande un mandat. Si vous êtes d'accord, donnez-lui "
        "ce code : %(code)s. Il expire dans %(minutes)d min. Sinon, ne le donnez à personne."
    )
    text = text % {
        "mediator": mediator_name(mandate.created_by),
        "organisation": mandate.organisation.name,
        "code": code,
        "minutes": CONSENT_CODE_MINUTES,
    }
    if channel == CodeChannel.SMS:
        gateway = import_string(settings.SMS_GATEWAY)()
        gateway.send(to=mandate.person.phone, text=text)
    else:
        send_mail(_("Guichet : votre code de consentement"), text, None, [mandate.person.user.email])


@transaction.atomic
def consent_code_send(*, mandate: Mandate, channel: str, by: User) -> ConsentCode:
    """Send the person a one-time code to confirm the mandate remotely; they read it to the mediator.

    The code is sent at once (never stored, never queued): only its keyed hash is kept, for 15 minutes.
    """
    mandate = _locked(mandate)
    _require_member(by, mandate.organisation)
    if mandate.consent_method != ConsentMethod.REMOTE_CODE:
        raise ValidationError(_("Ce mandat n'attend pas de code."))
    _require_pending(mandate)
    person = mandate.person
    if channel == CodeChannel.SMS and not person.phone:
        raise ValidationError(_("Nous n'avons pas le numéro de téléphone de cette personne."))
    if channel == CodeChannel.EMAIL and not (person.user_id and person.user.email):
        raise ValidationError(_("Nous n'avons pas l'adresse électronique de cette personne."))
    if channel == CodeChannel.EMAIL and not has_verified_email(person):
        raise ValidationError(
            _(
                "L'adresse électronique de cette personne n'est pas vérifiée : envoyez le code par SMS, ou "
                "demandez-lui de confirmer depuis son compte."
            )
        )
    if channel not in CodeChannel.values:
        raise ValidationError(_("Choisissez un canal d'envoi."))
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    if mandate.consent_codes.filter(created_at__gte=hour_ago).count() >= CONSENT_CODES_PER_HOUR:
        raise ValidationError(_("Trop de codes envoyés pour ce mandat. Réessayez dans une heure."))
    mandate.consent_codes.filter(used_at__isnull=True).update(expires_at=timezone.now())
    code = f"{secrets.randbelow(10**6):06d}"
    consent_code = ConsentCode.objects.create(
        mandate=mandate,
        channel=channel,
        code_hash=keyed_hash(f"consent:{mandate.public_id}", code),
        expires_at=timezone.now() + datetime.timedelta(minutes=CONSENT_CODE_MINUTES),
    )
    event_record(
        action=AuditAction.MANDATE_CODE_SENT,
        actor=by,
        subject=person,
        target=mandate,
        data={**_refs(mandate), "channel": channel},
    )
    transaction.on_commit(lambda: _send_code(mandate, channel, code))
    return consent_code


def consent_code_check(*, mandate: Mandate, code: str, by: User) -> Mandate:
    """Check the code the person read out; a good code gives the consent. Five wrong tries end the code."""
    code = "".join(code.split())
    with transaction.atomic():
        mandate = _locked(mandate)
        _require_member(by, mandate.organisation)
        if mandate.consent_codes.filter(used_at__isnull=False).exists():
            raise CodeRefused(_("Ce code a déjà servi : le mandat est déjà confirmé."))
        if mandate.consent_method != ConsentMethod.REMOTE_CODE:
            raise ValidationError(_("Ce mandat n'attend pas de code."))
        if mandate.state() == MandateState.LAPSED:
            raise CodeRefused(_("Le délai pour confirmer ce mandat est passé : il faut en préparer un nouveau."))
        _require_pending(mandate)
        current = mandate.consent_codes.select_for_update().filter(used_at__isnull=True).first()
        if current is None or current.expires_at <= timezone.now():
            raise CodeRefused(_("Ce code a expiré. Envoyez-en un nouveau."))
        if current.attempts >= CONSENT_CODE_MAX_ATTEMPTS:
            raise CodeRefused(_("Trop d'essais avec ce code. Envoyez-en un nouveau."))
        good = hmac.compare_digest(current.code_hash, keyed_hash(f"consent:{mandate.public_id}", code))
        if good:
            current.used_at = timezone.now()
            current.save(update_fields=["used_at", "updated_at"])
            return _activate(mandate, actor=by, method=ConsentMethod.REMOTE_CODE, data={"channel": current.channel})
        current.attempts += 1
        current.save(update_fields=["attempts", "updated_at"])
        event_record(
            action=AuditAction.MANDATE_CODE_FAILED,
            actor=by,
            subject=mandate.person,
            target=mandate,
            data=_refs(mandate),
        )
    # Outside the transaction: the failed attempt stays counted.
    raise CodeRefused(_("Ce code n'est pas le bon."))


# --- Revocation ---


def _revoker_kind(mandate: Mandate, by: User) -> RevokedBy:
    if mandate.person.user_id is not None and mandate.person.user_id == by.pk:
        return RevokedBy.PERSON
    if by.role == Role.MEDIATOR and is_current_member(by, mandate.organisation):
        return RevokedBy.ORGANISATION
    raise ValidationError(_("Vous ne pouvez pas révoquer ce mandat."))


@transaction.atomic
def mandate_revoke(*, mandate: Mandate, by: User) -> Mandate:
    """Revoke a whole mandate (every authorisation), by the person or by the organisation. Takes effect at once."""
    mandate = _locked(mandate)
    kind = _revoker_kind(mandate, by)
    if mandate.revoked_at is not None:
        raise ValidationError(_("Ce mandat est déjà révoqué."))
    if mandate.state() in (MandateState.REFUSED, MandateState.LAPSED):
        raise ValidationError(_("Ce mandat n'a jamais été donné : il n'y a rien à révoquer."))
    now = timezone.now()
    mandate.authorizations.active().update(revoked_at=now, revoked_by=by, revoked_by_kind=kind, updated_at=now)
    mandate.revoked_at, mandate.revoked_by, mandate.revoked_by_kind = now, by, kind
    mandate.save(update_fields=["revoked_at", "revoked_by", "revoked_by_kind", "updated_at"])
    event_record(
        action=AuditAction.MANDATE_REVOKED,
        actor=by,
        subject=mandate.person,
        target=mandate,
        data={**_refs(mandate), "by": kind},
    )
    return mandate


@transaction.atomic
def authorization_revoke(*, authorization: Authorization, by: User) -> Authorization:
    """Revoke one family of a mandate. When none is left, the mandate itself is revoked."""
    mandate = _locked(authorization.mandate)
    kind = _revoker_kind(mandate, by)
    authorization = Authorization.objects.select_for_update().get(pk=authorization.pk)
    if authorization.revoked_at is not None or mandate.revoked_at is not None:
        raise ValidationError(_("Cette habilitation est déjà révoquée."))
    now = timezone.now()
    authorization.revoked_at, authorization.revoked_by, authorization.revoked_by_kind = now, by, kind
    authorization.save(update_fields=["revoked_at", "revoked_by", "revoked_by_kind", "updated_at"])
    event_record(
        action=AuditAction.AUTHORIZATION_REVOKED,
        actor=by,
        subject=mandate.person,
        target=mandate,
        data={**_refs(mandate), "family": authorization.family, "by": kind},
    )
    if not mandate.authorizations.active().exists():
        mandate.revoked_at, mandate.revoked_by, mandate.revoked_by_kind = now, by, kind
        mandate.save(update_fields=["revoked_at", "revoked_by", "revoked_by_kind", "updated_at"])
    return authorization


# --- Reminders ---


def mandates_remind(*, now: datetime.datetime | None = None) -> int:
    """Tell each person whose mandate ends within 30 days; idempotent (one reminder per mandate and end date).

    Returns how many reminders were sent this time.
    """
    now = now or timezone.now()
    sent = 0
    due = (
        Mandate.objects.expiring_between(now, now + datetime.timedelta(days=REMINDER_DAYS))
        .filter(authorizations__revoked_at__isnull=True)
        .distinct()
        .select_related("person__user", "organisation")
    )
    for mandate in due:
        with transaction.atomic():
            until = date_format(timezone.localtime(mandate.expires_at), "j F Y")
            created = notification_send(
                person=mandate.person,
                kind="mandate_expiring",
                subject=_("Votre mandat à %(organisation)s prend fin le %(date)s")
                % {"organisation": mandate.organisation.name, "date": until},
                body=_(
                    "Le mandat que vous avez donné à %(organisation)s prend fin le %(date)s. Pour que ses médiateurs "
                    "continuent à vous aider, donnez un nouveau mandat au guichet ou depuis votre compte. Sinon, "
                    "vous n'avez rien à faire : il s'arrêtera tout seul."
                )
                % {"organisation": mandate.organisation.name, "date": until},
                link=reverse("mediation:mine"),
                key=f"mandate-expiring:{mandate.public_id}:{mandate.expires_at:%Y%m%d%H%M%S}",
            )
            if created:
                Mandate.objects.filter(pk=mandate.pk).update(reminded_at=now)
                event_record(
                    action=AuditAction.MANDATE_REMINDED, subject=mandate.person, target=mandate, data=_refs(mandate)
                )
                sent += 1
    return sent


def mandate_requests_remind(*, now: datetime.datetime | None = None) -> int:
    """Tell each person who has an account of every mandate waiting for their answer, once per mandate.

    New requests are told when prepared; this catches the others (those the 2026-12-07 migration sent back for
    confirmation, a record taken over while its mandate waited for a signature). Returns how many were told now.
    """
    told = 0
    waiting = (
        Mandate.objects.pending(now)
        .filter(person__user__isnull=False)
        .select_related("person__user", "organisation", "created_by__person")
        .prefetch_related("authorizations")
    )
    for mandate in waiting:
        with transaction.atomic():
            if _notify_request(mandate):
                told += 1
    return told


# --- Records created at the counter, taken over later ---


def normalise_takeover_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


@transaction.atomic
def takeover_code_issue(*, person: Person, by: User) -> str:
    """A new takeover code for a person without an account (the previous ones stop working).

    Returns the code in clear, to print once: it is not stored.
    """
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.user_id is not None:
        raise ValidationError(_("Cette personne a déjà un compte."))
    if not Mandate.objects.for_person(person).filter(organisation__in=_organisations_of(by)).exists():
        raise ValidationError(_("Aucun mandat de votre organisation ne concerne cette personne."))
    now = timezone.now()
    TakeoverCode.objects.filter(person=person, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    code = "".join(secrets.choice(TAKEOVER_ALPHABET) for _i in range(12))
    TakeoverCode.objects.create(
        person=person,
        code_hash=keyed_hash("takeover", code),
        expires_at=now + datetime.timedelta(days=TAKEOVER_CODE_DAYS),
        created_by=by,
    )
    event_record(action=AuditAction.TAKEOVER_CODE_ISSUED, actor=by, subject=person, target=person)
    return "-".join(code[i : i + 4] for i in range(0, 12, 4))


def _organisations_of(user: User):
    return Organisation.objects.of_mediator(user)


def account_takeover(*, code: str, birth_date: datetime.date, email: str, password: str) -> User:
    """Open an account on a record a mediator created: the code and the birth date must match.

    A wrong birth date counts as a failed attempt on that code; after five, the code no longer works.
    The new account's email address must then be verified, as for any registration.
    """
    from guichet.accounts.services import email_verification_send

    email = email.strip().lower()
    with transaction.atomic():
        takeover = (
            TakeoverCode.objects.select_for_update()
            .select_related("person")
            .filter(code_hash=keyed_hash("takeover", normalise_takeover_code(code)))
            .first()
        )
        invalid = _("Ce code n'est pas valide, ou a déjà servi. Demandez-en un nouveau à votre médiateur.")
        if takeover is None or takeover.used_at is not None or takeover.person.user_id is not None:
            raise CodeRefused(invalid)
        if takeover.expires_at <= timezone.now() or takeover.attempts >= TAKEOVER_MAX_ATTEMPTS:
            raise CodeRefused(invalid)
        person = takeover.person
        if person.birth_date == birth_date:
            if User.objects.filter(email__iexact=email).exists():
                raise ValidationError({"email": _("Un compte existe déjà avec cette adresse.")})
            user = User(email=email, role=Role.CITIZEN)
            validate_password(password, user)
            user.set_password(password)
            user.save()
            person.user = user
            person.contact_channel = ContactChannel.EMAIL
            person.save(update_fields=["user", "contact_channel", "updated_at"])
            takeover.used_at = timezone.now()
            takeover.save(update_fields=["used_at", "updated_at"])
            event_record(action=AuditAction.ACCOUNT_TAKEN_OVER, actor=person, subject=person, target=user)
            transaction.on_commit(lambda: email_verification_send(user=user))
            return user
        takeover.attempts += 1
        takeover.save(update_fields=["attempts", "updated_at"])
    raise CodeRefused(_("Ce code et cette date de naissance ne correspondent pas."))
