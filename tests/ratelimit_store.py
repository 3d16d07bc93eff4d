"""The table of rate-limit counters made unreachable, for the tests of limits that must then refuse."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError, connection


@contextmanager
def unreachable() -> Iterator[None]:
    """Every query on the counters fails as with a lost database; other tables answer as usual."""

    def refuse(execute, sql, params, many, context):
        if "core_ratecounter" in sql:
            raise OperationalError("rate-limit counters unreachable (test)")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield
