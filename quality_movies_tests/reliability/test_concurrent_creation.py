"""Runs that start together create the schema, the table and the view together: the loser of that race must not fail."""

import threading
from collections.abc import Callable

import pytest
import redshift_connector

from quality_movies.resources.embedded_warehouse import EmbeddedWarehouse
from quality_movies.resources.warehouse import created_concurrently

ROUNDS = 8  # a race is not lost every time: several fresh schemas make losing it near certain


def _together(first: Callable[[], None], second: Callable[[], None]) -> list[BaseException]:
    """Run both at the same instant in two threads (two sessions); the exceptions they raised."""
    start, errors = threading.Barrier(2), []

    def run(work: Callable[[], None]) -> None:
        start.wait()
        try:
            work()
        except BaseException as error:  # collected, then asserted on by the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(work,)) for work in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.fixture
def fresh_warehouses(home, warehouse):
    """Per round, two resources (two runs) on one new schema; the schemas are dropped afterwards."""
    names = [f"qm_race_{i}" for i in range(ROUNDS)]
    yield [
        tuple(EmbeddedWarehouse(data_dir=str(home / "warehouse"), schema_name=name) for _ in range(2)) for name in names
    ]
    with warehouse.connection() as conn:
        for name in names:
            conn.cursor().execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        conn.commit()


def test_two_runs_creating_the_schema_and_table_at_once_both_succeed(fresh_warehouses):
    for one, other in fresh_warehouses:
        assert _together(one.ensure_table, other.ensure_table) == []
        assert one.query_one("relation_exists", (one.schema_name, one.table_name)) == (1,)


def test_two_runs_creating_the_view_at_once_both_succeed(fresh_warehouses):
    for one, other in fresh_warehouses:
        one.ensure_table()

        assert _together(one.refresh_view, other.refresh_view) == []
        assert one.query_one("view_summary") == (0, 0)


@pytest.mark.parametrize(
    ("sqlstate", "message"),
    [
        ("23505", 'duplicate key value violates unique constraint "pg_namespace_nspname_index"'),
        ("42P07", 'relation "year_aggregated_genre" already exists'),
        # Seen in CI: the losing CREATE MATERIALIZED VIEW collided on the view's row type.
        ("42710", 'type "year_aggregated_genre" already exists'),
    ],
)
def test_every_way_postgresql_reports_a_lost_creation_race_is_recognised(sqlstate, message):
    error = redshift_connector.ProgrammingError({"S": "ERROR", "C": sqlstate, "M": message})

    assert created_concurrently(error)


def test_other_errors_are_not_mistaken_for_a_lost_race():
    denied = {"S": "ERROR", "C": "42501", "M": "permission denied for schema movies"}
    error = redshift_connector.ProgrammingError(denied)

    assert not created_concurrently(error)
