"""Mandates are confirmed by the person: what happens to the mandates given before (decision of 2026-12-07).

- A mandate the person accepted from their account records that account as the one that consented.
- A mandate "signed at the counter" for a person who already had an account when it was signed (or who has one
  while it still waits for the signature) cannot be told apart from one a mediator made alone: when it is still
  pending or in force, it goes back to waiting for the person's own confirmation from their account, with 30 days
  to answer. It allows no acting until then; ``mandates_remind`` tells the person. Revoked or ended ones are left
  as they were (they allow nothing).
- Every other mandate signed at the counter (a person without an account then, even one who opened an account
  later with a takeover code) stays valid until its end; the identity check, not recorded before, is marked so.
- A mandate still waiting for consent gets 7 days from now to be confirmed (the field's default).

Going back leaves the data as it is (the new columns are dropped).
"""

import datetime

import django.db.models.deletion
import guichet.mediation.models
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Q
from django.utils import timezone

GRACE_DAYS = 30


def confirm_by_the_person(apps, schema_editor):
    Mandate = apps.get_model("mediation", "Mandate")
    now = timezone.now()
    for mandate in Mandate.objects.filter(consent_method="remote_account", consented_at__isnull=False).select_related(
        "person"
    ):
        Mandate.objects.filter(pk=mandate.pk).update(consented_by_id=mandate.person.user_id)
    in_force_or_waiting = Q(starts_at__isnull=True) | Q(expires_at__gt=now)
    had_an_account = Q(consented_at__isnull=True) | Q(person__user__date_joined__lte=F("consented_at"))
    suspect = Mandate.objects.filter(
        in_force_or_waiting,
        had_an_account,
        consent_method="in_person",
        person__user__isnull=False,
        revoked_at__isnull=True,
    )
    for mandate in suspect:
        mandate.consent_method = "remote_account"
        mandate.consented_at = mandate.starts_at = mandate.expires_at = mandate.reminded_at = None
        mandate.confirm_before = now + datetime.timedelta(days=GRACE_DAYS)
        mandate.save(
            update_fields=[
                "consent_method",
                "consented_at",
                "starts_at",
                "expires_at",
                "reminded_at",
                "confirm_before",
                "updated_at",
            ]
        )
    Mandate.objects.filter(consent_method="in_person", consented_at__isnull=False).update(
        identity_document="not_recorded"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_staff_enrolment_link'),
        ('mediation', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='mandate',
            name='confirm_before',
            field=models.DateTimeField(default=guichet.mediation.models.confirmation_deadline, verbose_name='à confirmer avant le'),
        ),
        migrations.AddField(
            model_name='mandate',
            name='consented_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='mandate',
            name='identity_document',
            field=models.CharField(blank=True, choices=[('id_card', "Carte nationale d'identité"), ('passport', 'Passeport'), ('residence_permit', 'Titre de séjour'), ('driving_licence', 'Permis de conduire'), ('not_recorded', 'Non relevée (mandat signé avant le 7 décembre 2026)')], max_length=16, verbose_name="pièce d'identité vérifiée"),
        ),
        migrations.AddField(
            model_name='mandate',
            name='identity_document_end',
            field=models.CharField(blank=True, max_length=4, verbose_name='fin du numéro de la pièce'),
        ),
        migrations.AddField(
            model_name='mandate',
            name='refused_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='refusé le'),
        ),
        migrations.RunPython(confirm_by_the_person, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='mandate',
            constraint=models.CheckConstraint(condition=models.Q(('identity_document_end__regex', '^[0-9A-Z]{0,4}$')), name='mandate_identity_end_only'),
        ),
        migrations.AddConstraint(
            model_name='mandate',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('consent_method', 'in_person'), ('consented_at__isnull', False), _negated=True), ('identity_document', 'not_recorded'), models.Q(models.Q(('identity_document', ''), _negated=True), ('identity_document_end__regex', '^[0-9A-Z]{4}$')), _connector='OR'), name='mandate_in_person_identity_checked'),
        ),
        migrations.AddConstraint(
            model_name='mandate',
            constraint=models.CheckConstraint(condition=models.Q(('refused_at__isnull', True), ('consented_at__isnull', True), _connector='OR'), name='mandate_refused_or_consented'),
        ),
    ]
