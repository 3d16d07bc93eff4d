"""Real concurrent transactions on PostgreSQL: many people, few seats, exactly one winner per seat.

`benchmarks/booking.py` runs the same race through HTTP under gunicorn, with bigger numbers.
"""

import threading

import pytest
from django.db import connection

from guichet.appointments import services
from guichet.appointments.models import Booking
from guichet.catalog.demo import load as load_territory
from tests.appointments.factories import make_agenda, make_slot
from tests.factories import UserFactory

THREADS = 30
SLOTS = 3


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers, so there is no real race to test; test_booking.py checks one winner per "
    "seat with sequential conflicting attempts. Run with DATABASE_URL=postgres://... for this test.",
)
def test_concurrent_attempts_leave_exactly_one_booking_per_seat_and_no_error(transactional_db):
    load_territory()
    agenda = make_agenda()
    slots = [make_slot(agenda) for _ in range(SLOTS)]
    users = UserFactory.create_batch(THREADS)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        user = users[index]
        try:
            barrier.wait(timeout=30)
            services.booking_create(slot=slots[index % SLOTS], person=user.person, by=user, channel="online")
            outcome = "won"
        except services.SlotTaken:
            outcome = "taken"
        except Exception as exc:  # anything else is a failure of the test
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(set(outcomes)) == ["taken", "won"], outcomes
    assert outcomes.count("won") == SLOTS
    assert outcomes.count("taken") == THREADS - SLOTS
    for slot in slots:
        assert Booking.objects.filter(slot=slot).holding().count() == 1
