"""Nothing let in: identifiers validated and quoted, values bound, keys kept inside the lake, loopback only."""

import dagster as dg
import pytest

from quality_movies.resources.embedded_warehouse import EmbeddedWarehouse
from quality_movies.resources.lake import UnsafeKeyError
from quality_movies.resources.local_lake import LocalLake
from quality_movies.resources.warehouse import quote_identifier
from quality_movies_tests.conftest import IMDB_CSV, Pipeline, expected_good


@pytest.mark.parametrize("name", ["movies; DROP TABLE x", 'movies"', "Movies", "1movies", "", "a" * 128, "mo vies"])
def test_identifiers_from_configuration_that_are_not_plain_names_are_refused(name):
    with pytest.raises(ValueError, match="not a usable SQL identifier"):
        quote_identifier(name)


def test_a_configured_schema_and_table_are_quoted_and_used(home, warehouse):
    custom = EmbeddedWarehouse(data_dir=str(home / "warehouse"), schema_name="qm_custom", table_name="movies_v2")

    custom.ensure_table()

    assert 'CREATE TABLE IF NOT EXISTS "qm_custom"."movies_v2"' in custom.statement("create_table")
    assert custom.query_one("relation_exists", ("qm_custom", "movies_v2")) == (1,)


def test_a_bad_identifier_fails_before_any_statement_reaches_the_warehouse(home):
    hostile = EmbeddedWarehouse(data_dir=str(home / "warehouse"), schema_name="movies; drop schema public")
    with pytest.raises(ValueError, match="not a usable SQL identifier"):
        hostile.ensure_table()


def test_file_names_with_quotes_and_sql_are_stored_as_bound_values(pipeline, warehouse):
    name = "it's'); DROP TABLE movies.imdb_movies_rating; --.csv"

    result = pipeline.run(pipeline.land(IMDB_CSV, name=name))

    assert result.success
    assert warehouse.query_one("count_file_rows", (f"input_data/{name}",))[0] == expected_good()


@pytest.mark.parametrize("partition_key", ["..%2F..%2Fetc%2Fpasswd", "..%2Fbad_records%2Fx.csv"])
def test_a_partition_key_cannot_reach_outside_the_lake(pipeline, partition_key):
    pipeline.instance.add_dynamic_partitions("landed_files", [partition_key])

    result = pipeline.run(partition_key)

    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    assert "must be relative and stay inside the lake" in failure.step_failure_data.error.cause.message


def test_object_keys_that_climb_out_of_the_lake_are_refused(tmp_path):
    lake = LocalLake(root=str(tmp_path))
    with pytest.raises(UnsafeKeyError):
        lake.write_bytes("input_data/../../outside.csv", b"x")
    assert not (tmp_path.parent / "outside.csv").exists()


def test_the_embedded_postgresql_listens_on_no_network_address(warehouse):
    with warehouse.connection() as conn:
        cursor = conn.cursor()
        cursor.execute("SHOW listen_addresses")
        assert cursor.fetchone()[0] == ""  # Unix socket only; the adapter alone is on 127.0.0.1


@pytest.fixture
def renamed_by_environment(warehouse, monkeypatch):
    """Schema, table and view named by the environment; the schema is dropped afterwards."""
    for kind, name in {"SCHEMA": "qm_env", "TABLE": "ratings_v2", "VIEW": "by_year_and_genre"}.items():
        monkeypatch.setenv(f"QUALITY_MOVIES_WAREHOUSE_{kind}", name)
    yield
    with warehouse.connection() as conn:
        conn.cursor().execute('DROP SCHEMA IF EXISTS "qm_env" CASCADE')
        conn.commit()


def test_names_set_by_the_environment_are_loaded_and_shown_as_the_assets_table_names(
    clean_home, warehouse, renamed_by_environment
):
    pipeline = Pipeline(clean_home)

    result = pipeline.run(pipeline.land(IMDB_CSV))

    assert result.success
    assert warehouse.query_one("relation_exists", ("qm_env", "ratings_v2")) == (1,)
    assert warehouse.query_one("relation_exists", ("qm_env", "by_year_and_genre")) == (1,)
    shown = {
        key.to_user_string(): pipeline.job.asset_layer.get(key).metadata["dagster/table_name"]
        for key in (dg.AssetKey(["movies", "imdb_movies_rating"]), dg.AssetKey(["movies", "year_aggregated_genre"]))
    }
    assert shown == {
        "movies/imdb_movies_rating": "qm_env.ratings_v2",
        "movies/year_aggregated_genre": "qm_env.by_year_and_genre",
    }
