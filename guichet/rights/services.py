"""Writes of the rights simulator: the pseudonymous take-up record and saved simulations."""

import uuid
from decimal import Decimal

from django.db import transaction

from guichet.audit.enums import AuditAction
from guichet.audit.services import event_record
from guichet.rights.engine.calculate import HouseholdResult
from guichet.rights.enums import SimulationChannel, TakeUpStage
from guichet.rights.models import SavedSimulation, TakeUpRecord
from guichet.rights.results import monthly_equivalent, monthly_total


@transaction.atomic
def take_up_record_simulated(
    *, result: HouseholdResult, pseudonym: uuid.UUID, channel: SimulationChannel
) -> list[TakeUpRecord]:
    """Record, without any personal data, which aids one simulation found: the first step of take-up."""
    rows = [
        TakeUpRecord(
            pseudonym=pseudonym,
            benefit=benefit.id,
            stage=TakeUpStage.SIMULATED,
            channel=channel,
            period=result.period,
            monthly_amount=monthly_equivalent(benefit.id, benefit.amount),
        )
        for benefit in result.benefits.values()
        if benefit.eligible
    ]
    rows += [
        TakeUpRecord(
            pseudonym=pseudonym, benefit=aid.id, stage=TakeUpStage.SIMULATED, channel=channel, period=result.period
        )
        for aid in result.local_aids.values()
        if aid.eligible
    ]
    return TakeUpRecord.objects.bulk_create(rows)


@transaction.atomic
def simulation_save(*, person, result: HouseholdResult, by) -> SavedSimulation:
    """Keep a simulation in the person's account, with its inputs and versions so it can be recomputed."""
    saved = SavedSimulation.objects.create(
        person=person,
        period=result.period,
        inputs=result.inputs,
        results=result.to_dict(),
        versions=result.versions,
        monthly_total=monthly_total(result).quantize(Decimal("0.01")),
    )
    event_record(action=AuditAction.SIMULATION_SAVED, actor=by, subject=person, target=saved)
    return saved
