"""The writer process of `make bench-load`: inserts and updates without pause, timing every statement."""

from __future__ import annotations

import random
import time
from multiprocessing.synchronize import Event
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

INSERT = sa.text("INSERT INTO items (parent_id, qty, note) VALUES (:parent, :qty, 'w')")
# Once the migration added items.tier, the application writes it, as a deploy ships before the contract step.
INSERT_TIER = sa.text("INSERT INTO items (parent_id, qty, note, tier) VALUES (:parent, :qty, 'w', 'basic')")
UPDATE = sa.text("UPDATE items SET qty = qty + 1 WHERE id = :id")


def write(url: str, rows: int, stop: Event, tier_added: Event, tier_written: Event, results: Any) -> None:
    """Alternate INSERT and UPDATE on its own autocommit connection until `stop`; report latencies and errors.

    Once `tier_added` is set, inserts fill tier: `tier_written` then says no insert without it is in flight.
    Runs in its own process so that a migration holding the GIL (or blocking a driver call) cannot hide a stall.
    """
    engine = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    latencies: list[float] = []
    errors: list[str] = []
    inserted = 0
    with engine.connect() as connection:
        while not stop.is_set():
            insert = len(latencies) % 2 == 0
            with_tier = tier_added.is_set()
            if with_tier and not tier_written.is_set():
                tier_written.set()  # the previous statement has returned: every later insert writes tier
            started = time.perf_counter()
            try:
                if insert:
                    statement = INSERT_TIER if with_tier else INSERT
                    connection.execute(statement, {"parent": random.randint(1, 10), "qty": 1})
                else:
                    connection.execute(UPDATE, {"id": random.randint(1, rows)})
            except sa.exc.DBAPIError as error:
                errors.append(str(error.orig).splitlines()[0][:120])
                connection.rollback()
            else:
                inserted += insert
            latencies.append(time.perf_counter() - started)
    engine.dispose()
    results.put({"latencies": latencies, "errors": errors, "inserted": inserted})
