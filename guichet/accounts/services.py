"""Writes on accounts, persons, households and consents. Each one is audited."""

import datetime
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.accounts import known_browsers
from guichet.accounts.enums import LEGACY_RESOURCE_KINDS, RENTING, ConsentPurpose, Role
from guichet.accounts.models import (
    VERIFIED_IDENTITY_FIELDS,
    Consent,
    Household,
    HouseholdDraft,
    HouseholdMember,
    MonthlyResource,
    OidcIdentity,
    Person,
    User,
)
from guichet.audit.enums import AuditAction
from guichet.audit.services import event_record
from guichet.core import ratelimit
from guichet.core.models import RateCounter

logger = logging.getLogger(__name__)

EMAIL_VERIFY_SALT = "guichet.accounts.email-verify"
LOGIN_UNLOCK_SALT = "guichet.accounts.login-unlock"
# Links emailed at most this many times per account and per LOGIN_ACCOUNT_WINDOW_SECONDS.
UNLOCK_MAILS_PER_WINDOW = 3


@transaction.atomic
def user_register(*, email: str, password: str, first_name: str, last_name: str) -> User:
    """Create a citizen account and its person, then send the email verification link."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("Un compte existe déjà avec cette adresse.")})
    user = User(email=email, role=Role.CITIZEN)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    person = Person.objects.create(user=user, first_name=first_name.strip(), last_name=last_name.strip())
    event_record(action=AuditAction.REGISTERED, actor=person, subject=person, target=user)
    transaction.on_commit(lambda: email_verification_send(user=user))
    return user


def email_verification_token(user: User) -> str:
    return signing.dumps({"u": str(user.public_id), "e": user.email}, salt=EMAIL_VERIFY_SALT)


def email_verification_send(*, user: User) -> None:
    """Email the verification link (the token is signed, never stored)."""
    link = settings.SITE_URL + reverse("accounts:verify_email", args=[email_verification_token(user)])
    context = {"user": user, "link": link, "days": settings.EMAIL_VERIFICATION_MAX_AGE // 86400}
    send_mail(
        subject=_("Guichet : confirmez votre adresse électronique"),
        message=render_to_string("accounts/email/verify_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def email_verify(*, token: str) -> User:
    """Mark the address as verified; raises ValidationError on a bad or expired link."""
    try:
        payload = signing.loads(token, salt=EMAIL_VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationError(_("Ce lien a expiré. Demandez-en un nouveau.")) from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("Ce lien n'est pas valide.")) from exc
    user = User.objects.select_for_update().filter(public_id=payload.get("u"), email=payload.get("e")).first()
    if user is None:
        raise ValidationError(_("Ce lien n'est pas valide."))
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        event_record(action=AuditAction.EMAIL_VERIFIED, actor=user, subject=user, target=user)
    return user


@transaction.atomic
def person_update(*, person: Person, data: dict[str, Any], by: User) -> Person:
    """Update a person's profile fields; the audit event names the fields changed, not their values.

    Identity fields certified by FranceConnect are never changed here.
    """
    if person.identity_verified:
        data = {field: value for field, value in data.items() if field not in VERIFIED_IDENTITY_FIELDS}
    changed = sorted(field for field, value in data.items() if getattr(person, field) != value)
    for field in changed:
        setattr(person, field, data[field])
    if changed:
        person.full_clean()
        person.save(update_fields=[*changed, "updated_at"])
        event_record(
            action=AuditAction.PROFILE_UPDATED, actor=by, subject=person, target=person, data={"fields": changed}
        )
    return person


@transaction.atomic
def user_role_set(*, user: User, role: Role, by: User) -> User:
    """Change a user's role (audited with the old and new role)."""
    previous = User.objects.select_for_update().get(pk=user.pk).role
    if previous != role:
        user.role = role
        user.save(update_fields=["role"])
        event_record(
            action=AuditAction.ROLE_CHANGED,
            actor=by,
            subject=user,
            target=user,
            data={"from": previous, "to": str(role)},
        )
    return user


@transaction.atomic
def household_draft_save(*, person: Person, step: int, data: dict[str, Any]) -> HouseholdDraft:
    """Keep the household form in progress (no audit: nothing is applied until confirmed)."""
    draft, _created = HouseholdDraft.objects.update_or_create(person=person, defaults={"data": data, "step": step})
    return draft


def _money(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value))


def _already_received(value: Any) -> dict[str, str]:
    """The aids received (aid id -> euros a month), amounts as strings; amounts not given are left out."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError(_("Les aides déjà perçues ne sont pas dans la forme attendue."))
    received = {}
    for aid, amount in value.items():
        if amount in (None, ""):
            continue
        try:
            number = Decimal(str(amount))
        except InvalidOperation:
            number = None
        if not isinstance(aid, str) or not aid or number is None or not number.is_finite() or number < 0:
            raise ValidationError(_("Montant d'aide déjà perçue invalide : %(aid)s.") % {"aid": str(aid)[:50] or "?"})
        received[aid] = str(number)
    return received


@transaction.atomic
def household_save(*, person: Person, data: dict[str, Any], by: User) -> Household:
    """Replace the person's household with the confirmed form data and drop the draft.

    ``data`` has the shape the household form produces (see ``HousingForm.to_data`` and the other step forms):
    ``housing`` (commune_insee, housing, monthly_rent without charges, shared_tenancy), ``members`` (relationship,
    first_name, birth_date, situation, disability_rate, employment_restriction, school_level, unemployed_since,
    self_employed_activity; the first is the person), ``resources`` (member index → month "YYYY-MM" → kind →
    amount), ``taxes`` (last_year_taxable_income, taxable_income_two_years_ago) and ``received`` (aid id → euros a
    month, stored in ``already_received``). Keys missing from data made before a question existed mean "not given".
    """
    housing, taxes = data["housing"], data.get("taxes") or {}
    renting = housing["housing"] in RENTING
    household, created = Household.objects.select_for_update().update_or_create(
        person=person,
        defaults={
            "commune_insee": housing["commune_insee"],
            "housing": housing["housing"],
            "monthly_rent": _money(housing.get("monthly_rent")) if renting else None,
            "shared_tenancy": bool(housing.get("shared_tenancy")) and renting,
            "last_year_taxable_income": _money(taxes.get("last_year_taxable_income")),
            "taxable_income_two_years_ago": _money(taxes.get("taxable_income_two_years_ago")),
            "already_received": _already_received(data.get("received")),
        },
    )
    household.full_clean()
    household.members.all().delete()
    resources = data.get("resources", {})
    for index, member_data in enumerate(data["members"]):
        since = member_data.get("unemployed_since")
        member = HouseholdMember(
            household=household,
            position=index,
            relationship=member_data["relationship"],
            first_name=member_data["first_name"],
            birth_date=datetime.date.fromisoformat(member_data["birth_date"]),
            situation=member_data["situation"],
            disability_rate=member_data.get("disability_rate"),
            employment_restriction=bool(member_data.get("employment_restriction")),
            school_level=member_data.get("school_level") or "",
            unemployed_since=datetime.date.fromisoformat(since) if since else None,
            self_employed_activity=member_data.get("self_employed_activity") or "",
        )
        member.full_clean(exclude=["household"], validate_constraints=False)
        member.save()
        amounts: dict[tuple[str, str], Decimal] = {}
        for month, by_kind in resources.get(str(index), {}).items():
            for kind, amount in by_kind.items():
                if amount in (None, "") or Decimal(str(amount)) <= 0:
                    continue
                key = (month, LEGACY_RESOURCE_KINDS.get(kind, kind))  # answers made before a kind went away
                amounts[key] = amounts.get(key, Decimal(0)) + Decimal(str(amount))
        MonthlyResource.objects.bulk_create(
            MonthlyResource(member=member, month=datetime.date.fromisoformat(f"{month}-01"), kind=kind, amount=amount)
            for (month, kind), amount in amounts.items()
        )
    HouseholdDraft.objects.filter(person=person).delete()
    event_record(
        action=AuditAction.HOUSEHOLD_UPDATED,
        actor=by,
        subject=person,
        target=person,
        data={"created": created, "members": len(data["members"])},
    )
    return household


@transaction.atomic
def consent_give(*, person: Person, purpose: ConsentPurpose, by: User) -> Consent:
    """Record a consent for one purpose (one active consent per purpose)."""
    existing = Consent.objects.select_for_update().active().for_person(person).filter(purpose=purpose).first()
    if existing is not None:
        return existing
    consent = Consent.objects.create(person=person, purpose=purpose)
    event_record(
        action=AuditAction.CONSENT_GIVEN, actor=by, subject=person, target=consent, data={"purpose": str(purpose)}
    )
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, by: User) -> Consent:
    """Withdraw a consent; the record stays, with the date of withdrawal."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is not None:
        raise ValidationError(_("Ce consentement a déjà été retiré."))
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at", "updated_at"])
    event_record(
        action=AuditAction.CONSENT_WITHDRAWN,
        actor=by,
        subject=consent.person,
        target=consent,
        data={"purpose": consent.purpose},
    )
    return consent


class LoginRefused(Exception):
    """A login attempt refused, with the message to show the person."""

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.locked = locked


def _login_key(email: str, ip: str) -> str:
    return ratelimit.make_key("login", email, ip)


def _locked_here() -> LoginRefused:
    minutes = settings.LOGIN_LOCKOUT_SECONDS // 60
    return LoginRefused(
        _(
            "Trop de tentatives pour ce compte depuis cet appareil. Réessayez dans %(minutes)d minutes "
            "ou réinitialisez votre mot de passe."
        )
        % {"minutes": minutes},
        locked=True,
    )


def login_attempt(*, request: HttpRequest, email: str, password: str) -> User:
    """Check a password login and open the session; two counters keep guessing slow.

    Per (account, IP) pair: ``LOGIN_MAX_FAILURES`` attempts, then the pair is locked for ``LOGIN_LOCKOUT_SECONDS``
    (never per IP alone: a France Services counter puts many people behind one address). Per account, across every
    address: past ``LOGIN_ACCOUNT_MAX_FAILURES`` attempts in ``LOGIN_ACCOUNT_WINDOW_SECONDS``, only browsers known to
    the account may try its password; any other one is refused unheard and a link to allow it is emailed to the
    account. Attempts are counted before the password is checked, so parallel requests get no more guesses; a
    successful login gives its attempt back. If the counters cannot be reached, logins are refused.
    """
    email = email.strip().lower()
    ip = ratelimit.client_ip(request)
    key = _login_key(email, ip)
    target = User.objects.filter(email__iexact=email).first()
    if ratelimit.is_limited(key, settings.LOGIN_MAX_FAILURES):
        event_record(action=AuditAction.LOGIN_LOCKED, subject=target)
        raise _locked_here()
    if target is not None and target.is_active and target.email_verified_at is None:
        # Said before the password is checked, whatever it is: this answer must not tell that it was right.
        raise LoginRefused(
            _("Votre adresse n'est pas encore vérifiée. Ouvrez le lien reçu par courriel ou demandez-en un nouveau.")
        )
    account_key = None
    if target is None or not known_browsers.is_known(request, target):
        account_key = ratelimit.make_key("login-account", email)
        if not ratelimit.attempt(
            account_key,
            limit=settings.LOGIN_ACCOUNT_MAX_FAILURES,
            window_seconds=settings.LOGIN_ACCOUNT_WINDOW_SECONDS,
            label=email,
        ):
            event_record(action=AuditAction.LOGIN_LOCKED, subject=target, data={"across_addresses": True})
            if target is not None and target.is_active:
                login_unlock_link_send(user=target)
            raise LoginRefused(
                _(
                    "Trop d'essais ont échoué sur ce compte. Par précaution, il n'accepte plus de connexion depuis un "
                    "nouvel appareil. Connectez-vous depuis un appareil que vous avez déjà utilisé, ou ouvrez sur "
                    "celui-ci le lien que nous avons envoyé à l'adresse du compte."
                ),
                locked=True,
            )
    if not ratelimit.attempt(
        key, limit=settings.LOGIN_MAX_FAILURES, window_seconds=settings.LOGIN_LOCKOUT_SECONDS, label=f"{email} {ip}"
    ):
        # Another request of the same pair was counted first: this one is not a guess.
        if account_key is not None:
            ratelimit.give_back(account_key)
        event_record(action=AuditAction.LOGIN_LOCKED, subject=target)
        raise _locked_here()
    user = authenticate(request, email=email, password=password)
    if user is None:
        event_record(action=AuditAction.LOGIN_FAILED, subject=target)
        raise LoginRefused(_("Adresse électronique ou mot de passe incorrect."))
    ratelimit.reset(key)
    if account_key is not None:
        ratelimit.give_back(account_key)
    login(request, user)  # rotates the session key: no session fixation
    event_record(action=AuditAction.LOGIN, actor=user, subject=user)
    return user


def login_unlock_token(user: User) -> str:
    return signing.dumps({"u": str(user.public_id)}, salt=LOGIN_UNLOCK_SALT)


def login_unlock_link_send(*, user: User) -> bool:
    """Email the account a link that allows a browser to try its password past the ceiling; False when not sent.

    At most ``UNLOCK_MAILS_PER_WINDOW`` a window, so that an attacker cannot flood the person's mailbox.
    """
    key = ratelimit.make_key("login-unlock-mail", str(user.pk))
    if not ratelimit.attempt(
        key, limit=UNLOCK_MAILS_PER_WINDOW, window_seconds=settings.LOGIN_ACCOUNT_WINDOW_SECONDS, label=user.email
    ):
        return False
    link = settings.SITE_URL + reverse("accounts:login_unlock", args=[login_unlock_token(user)])
    context = {"link": link, "hours": settings.LOGIN_ACCOUNT_WINDOW_SECONDS // 3600}
    try:
        send_mail(
            subject=_("Guichet : autoriser un appareil à se connecter à votre compte"),
            message=render_to_string("accounts/email/login_unlock.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
    except OSError:
        logger.exception("login unlock link not sent")
        return False
    event_record(action=AuditAction.LOGIN_UNLOCK_LINK_SENT, subject=user, target=user)
    return True


def login_unlock(*, token: str) -> User:
    """The account whose emailed link this is; the caller remembers the browser for it. Raises ValidationError."""
    try:
        payload = signing.loads(token, salt=LOGIN_UNLOCK_SALT, max_age=settings.LOGIN_ACCOUNT_WINDOW_SECONDS)
    except signing.SignatureExpired as exc:
        raise ValidationError(_("Ce lien a expiré. Demandez-en un nouveau.")) from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("Ce lien n'est pas valide.")) from exc
    user = User.objects.filter(public_id=payload.get("u"), is_active=True).first()
    if user is None:
        raise ValidationError(_("Ce lien n'est pas valide."))
    event_record(action=AuditAction.LOGIN_DEVICE_ALLOWED, actor=user, subject=user, target=user)
    return user


@transaction.atomic
def rate_counter_lift(*, counter: RateCounter, by: User) -> None:
    """Lift a lock or a rate limit by deleting its counter (an administrator's act, journaled)."""
    RateCounter.objects.filter(pk=counter.pk).delete()
    event_record(
        action=AuditAction.LOCK_LIFTED,
        actor=by,
        target=counter,
        data={"scope": counter.scope, "count": counter.count, "locked": counter.is_locked},
    )


def logout_user(*, request: HttpRequest) -> str | None:
    """End the local session; returns the provider's end-session URL when the session came from OIDC."""
    from guichet.accounts import oidc

    user = request.user
    id_token = request.session.get(oidc.ID_TOKEN_KEY)
    if user.is_authenticated:
        event_record(action=AuditAction.LOGOUT, actor=user, subject=user)
    logout(request)
    return oidc.end_session_url(request, id_token) if id_token and oidc.is_configured() else None


# --- OpenID Connect (FranceConnect) ---


class OidcRefused(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


def _parse_birthdate(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None  # FranceConnect sends "YYYY-MM-00" when the day of birth is unknown


def _verified_identity(claims: dict[str, Any]) -> dict[str, Any]:
    def text(name: str, size: int) -> str:
        value = claims.get(name)
        return value.strip()[:size] if isinstance(value, str) else ""

    return {
        "first_name": text("given_name", 150),
        "last_name": text("family_name", 150),
        "birth_date": _parse_birthdate(claims.get("birthdate")),
        "birth_place": text("birthplace", 5),
    }


def _identity_apply(person: Person, claims: dict[str, Any], by: User) -> None:
    identity = _verified_identity(claims)
    changed = sorted(field for field in VERIFIED_IDENTITY_FIELDS if getattr(person, field) != identity[field])
    for field in changed:
        setattr(person, field, identity[field])
    person.identity_verified_at = timezone.now()
    person.identity_verified_by = claims["iss"][:200]
    person.save(update_fields=[*changed, "identity_verified_at", "identity_verified_by", "updated_at"])
    if changed:
        event_record(
            action=AuditAction.PROFILE_UPDATED,
            actor=by,
            subject=person,
            target=person,
            data={"fields": changed, "source": "oidc"},
        )


@transaction.atomic
def oidc_login(*, request: HttpRequest, claims: dict[str, Any], id_token: str) -> User:
    """Log in with a verified OIDC identity: the linked account, or a new citizen account.

    An email address already used by another account is never enough to log into it.
    """
    issuer, subject = claims["iss"], claims["sub"]
    identity = OidcIdentity.objects.select_for_update().for_claims(issuer, subject).select_related("user").first()
    if identity is not None:
        user = identity.user
        if not user.is_active:
            raise OidcRefused("inactive", _("Ce compte est désactivé."))
        identity.last_login_at = timezone.now()
        identity.save(update_fields=["last_login_at", "updated_at"])
        if hasattr(user, "person"):
            _identity_apply(user.person, claims, user)
        created = False
    else:
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise OidcRefused(
                "email_missing",
                _("Le fournisseur d'identité n'a pas transmis d'adresse électronique : le compte ne peut être créé."),
            )
        email = email.strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise OidcRefused(
                "email_taken",
                _(
                    "Un compte Guichet existe déjà avec l'adresse électronique transmise par %(provider)s. "
                    "Par sécurité, il n'y est pas relié automatiquement : connectez-vous avec votre mot de passe, "
                    "puis liez votre identité %(provider)s depuis « Mon compte »."
                )
                % {"provider": settings.OIDC_PROVIDER_NAME},
            )
        user = User.objects.create_user(email, password=None, role=Role.CITIZEN, email_verified_at=timezone.now())
        identity_fields = _verified_identity(claims)
        person = Person.objects.create(user=user, **identity_fields)
        _identity_apply(person, claims, user)
        OidcIdentity.objects.create(
            user=user, issuer=issuer[:200], subject=subject[:255], last_login_at=timezone.now()
        )
        event_record(action=AuditAction.REGISTERED, actor=person, subject=person, target=user, data={"source": "oidc"})
        created = True
    login(request, user, backend="guichet.accounts.backends.EmailBackend")  # rotates the session key
    from guichet.accounts.oidc import ID_TOKEN_KEY

    request.session[ID_TOKEN_KEY] = id_token
    event_record(action=AuditAction.OIDC_LOGIN, actor=user, subject=user, data={"created": created})
    return user


@transaction.atomic
def oidc_link(*, user: User, claims: dict[str, Any]) -> OidcIdentity:
    """Link a verified OIDC identity to the logged-in citizen's account, on their explicit request."""
    issuer, subject = claims["iss"], claims["sub"]
    existing = OidcIdentity.objects.select_for_update().for_claims(issuer, subject).first()
    if existing is not None and existing.user_id != user.pk:
        raise OidcRefused(
            "identity_taken",
            _("Cette identité %(provider)s est déjà liée à un autre compte Guichet.")
            % {"provider": settings.OIDC_PROVIDER_NAME},
        )
    if existing is None and OidcIdentity.objects.filter(user=user, issuer=issuer).exists():
        raise OidcRefused(
            "already_linked",
            _("Votre compte est déjà lié à une autre identité %(provider)s.")
            % {"provider": settings.OIDC_PROVIDER_NAME},
        )
    identity = existing or OidcIdentity.objects.create(user=user, issuer=issuer[:200], subject=subject[:255])
    _identity_apply(user.person, claims, user)
    event_record(action=AuditAction.OIDC_LINKED, actor=user, subject=user, target=user)
    return identity


def oidc_refusal_record(*, reason: str) -> None:
    event_record(action=AuditAction.OIDC_LOGIN_REFUSED, data={"reason": reason})


def password_reset_recorded(*, user: User) -> None:
    event_record(action=AuditAction.PASSWORD_RESET, actor=user, subject=user, target=user)


def password_change_recorded(*, user: User) -> None:
    event_record(action=AuditAction.PASSWORD_CHANGED, actor=user, subject=user, target=user)
