"""Writes of the rights simulator: the pseudonymous take-up record and saved simulations."""

import uuid

from django.db import transaction

from guichet.audit.enums import AuditAction
from guichet.audit.services import event_record
from guichet.rights.enums import SimulationChannel, TakeUpStage
from guichet.rights.models import SavedSimulation, TakeUpRecord
from guichet.rights.simulation import Simulated


@transaction.atomic
def take_up_record_simulated(
    *, simulated: Simulated, pseudonym: uuid.UUID, channel: SimulationChannel
) -> list[TakeUpRecord]:
    """Record, without any personal data, which aids one simulation found: the first step of take-up."""
    rows = [
        TakeUpRecord(
            pseudonym=pseudonym,
            benefit=outcome.id,
            stage=TakeUpStage.SIMULATED,
            channel=channel,
            period=simulated.period,
            monthly_amount=outcome.monthly,
        )
        for outcome in (*simulated.national, *simulated.local)
        if outcome.eligible
    ]
    return TakeUpRecord.objects.bulk_create(rows)


@transaction.atomic
def simulation_save(*, person, simulated: Simulated, by, anonymous_pseudonym: str | None = None) -> SavedSimulation:
    """Keep a simulation in the person's account, with its inputs and versions so it can be recomputed.

    ``anonymous_pseudonym``: the random pseudonym the simulation was recorded under when it was made before the
    person logged in; its take-up records become the person's (a result kept counts as theirs).
    """
    result = simulated.result
    saved = SavedSimulation.objects.create(
        person=person,
        period=result.period,
        inputs=result.inputs,
        results=result.to_dict(),
        versions=result.versions,
        monthly_total=simulated.monthly_total,
    )
    claimed = 0
    if anonymous_pseudonym:
        claimed = TakeUpRecord.objects.filter(
            pseudonym=anonymous_pseudonym, channel=SimulationChannel.ANONYMOUS, period=result.period
        ).update(pseudonym=person.pseudonym)
    event_record(
        action=AuditAction.SIMULATION_SAVED, actor=by, subject=person, target=saved, data={"claimed": claimed}
    )
    return saved
