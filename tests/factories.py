import datetime

import factory
from django.utils import timezone

from guichet.accounts.enums import Role
from guichet.accounts.models import Person, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@example.org")
    role = Role.CITIZEN
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password(PASSWORD)

    class Params:
        unverified = factory.Trait(email_verified_at=None)
        mediator = factory.Trait(role=Role.MEDIATOR)
        agent = factory.Trait(role=Role.AGENT)
        supervisor = factory.Trait(role=Role.SUPERVISOR)
        admin = factory.Trait(role=Role.ADMIN, is_staff=True, is_superuser=True)

    person = factory.RelatedFactory("tests.factories.PersonFactory", factory_related_name="user")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    user = None
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    birth_date = datetime.date(1988, 5, 17)


def household_data(**overrides) -> dict:
    """A valid household in the shape the household form and `household_save` use."""
    data = {
        "housing": {"commune_insee": "69123", "housing": "tenant", "monthly_rent": "600.00"},
        "members": [
            {"relationship": "self", "first_name": "Alex", "birth_date": "1988-05-17", "situation": "employed"},
            {"relationship": "child", "first_name": "Sam", "birth_date": "2015-03-02", "situation": "student"},
        ],
        "resources": {"0": {"2026-01": {"salary": "1500.00"}, "2026-02": {"salary": "1500.00"}}},
        "taxes": {"last_year_taxable_income": "17000.00"},
    }
    data.update(overrides)
    return data


def login_verified(client, user):
    """Log ``user`` in as a full login would: staff roles have also passed their second factor (TOTP)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from guichet.accounts.permissions import needs_second_factor

    client.force_login(user)
    if needs_second_factor(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client
