"""Quarantine replay: after a ruleset fix, the rows that now pass move to the warehouse, once, and stay there."""

import csv
import json

import polars as pl
import pytest

from quality_movies import cli
from quality_movies.definitions import build_definitions
from quality_movies.history import read_local_history
from quality_movies.replay import quarantined_source_rows, run_replay
from quality_movies.resources.lake import PROCESSED
from quality_movies_tests.conftest import IMDB_CSV, read_imdb

STRICT = 'Rules = [\n    ColumnValues "imdb_rating" between 8.5 and 10.3\n]\n'
RELAXED = 'Rules = [\n    ColumnValues "imdb_rating" between 8.0 and 10.3\n]\n'
RELAXED_CHECK = "columnvalues_imdb_rating_between_8_0_and_10_3"
ROWS = 1000


@pytest.fixture
def ruleset(tmp_path, monkeypatch):
    """Make `text` the configured ruleset (read whenever definitions are built, as a deployment reads it)."""

    def use(text: str) -> None:
        path = tmp_path / "replay.dqdl"
        path.write_text(text)
        monkeypatch.setenv("QUALITY_MOVIES_RULESET", str(path))

    return use


def _rated(low: float, high: float = 10.3) -> pl.DataFrame:
    """The file's records (numbered from 1, as the quarantine numbers them) rated strictly between the bounds."""
    frame = read_imdb().with_row_index("source_row", offset=1)
    rating = pl.col("imdb_rating").cast(pl.Float64)
    return frame.filter((rating > low) & (rating < high))


def _warehouse_movies(warehouse) -> list[tuple[str, float]]:
    """(title, rating) of every row in the warehouse table, sorted."""
    with warehouse.connection() as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT series_title, imdb_rating FROM movies.imdb_movies_rating")
        return sorted((title, float(rating)) for title, rating in cursor.fetchall())


def _warehouse_history(warehouse) -> list[tuple[str, int]]:
    """(run id, rows good) of each evaluation in the warehouse's dq_history, sorted."""
    with warehouse.connection() as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT DISTINCT run_id, rows_good FROM movies.dq_history")
        return sorted((run_id, rows_good) for run_id, rows_good in cursor.fetchall())


def _file_movies(frame: pl.DataFrame) -> list[tuple[str, float]]:
    return sorted(zip(frame["series_title"], frame["imdb_rating"].cast(pl.Float64), strict=True))


@pytest.fixture
def strictly_ingested(ruleset, pipeline):
    """The real IMDb file ingested under the strict ruleset: only ratings above 8.5 loaded."""
    ruleset(STRICT)
    partition_key = pipeline.land(IMDB_CSV)
    assert pipeline.run(partition_key).success
    return pipeline, partition_key


def test_replay_after_a_ruleset_fix_moves_exactly_the_newly_passing_rows_and_again_moves_nothing(
    strictly_ingested, ruleset, empty_warehouse
):
    pipeline, partition_key = strictly_ingested
    strict, relaxed = _rated(8.5), _rated(8.0)
    assert (strict.height, relaxed.height) == (33, 322)  # worked out from the file, not by the engine
    quarantined_before = quarantined_source_rows(pipeline.lake, partition_key)
    ruleset(RELAXED)  # the fix

    # Every file with a quarantine; loaded, the file left input_data/, so its archive is landed again first.
    (first,) = run_replay(None, pipeline.home, instance=pipeline.instance)
    quarantined_after = quarantined_source_rows(pipeline.lake, partition_key)
    (second,) = run_replay("imdb_movies_rating.csv", pipeline.home, instance=pipeline.instance)

    assert first["success"] and second["success"], (first["error"], second["error"])
    assert first["before"] == {"warehouse_rows": 33, "quarantined_rows": ROWS - 33}
    assert first["after"] == second["before"] == second["after"] == {"warehouse_rows": 322, "quarantined_rows": 678}
    moved = set(relaxed["source_row"]) - set(strict["source_row"])
    assert quarantined_before - quarantined_after == moved and first["moved_to_warehouse"] == len(moved) == 289
    assert first["moved_to_quarantine"] == 0 and first["still_quarantined"] == 678
    assert (second["moved_to_warehouse"], second["moved_to_quarantine"], second["still_quarantined"]) == (0, 0, 678)
    # Every row in exactly one place: the warehouse holds exactly the passing rows, once each, and the quarantine
    # holds exactly the others.
    assert _warehouse_movies(empty_warehouse) == _file_movies(relaxed)
    assert quarantined_source_rows(pipeline.lake, partition_key) == set(range(1, ROWS + 1)) - set(relaxed["source_row"])
    assert first["checks"][RELAXED_CHECK] is False  # 678 rows still fail the rule: a finding, not a failed run
    runs = read_local_history(pipeline.home / "lake").unique(["run_id", "rows_good"], maintain_order=True)
    assert runs["rows_good"].to_list() == [33, 322, 322]
    assert runs["run_id"].to_list()[1:] == [first["run_id"], second["run_id"]]
    evaluations = [(runs["run_id"][0], 33), (first["run_id"], 322), (second["run_id"], 322)]
    assert _warehouse_history(empty_warehouse) == sorted(evaluations)  # the warehouse's dq_history too


def test_replay_of_a_corrected_relanded_file_moves_the_corrected_rows(strictly_ingested, tmp_path, empty_warehouse):
    pipeline, partition_key = strictly_ingested
    corrected = tmp_path / IMDB_CSV.name
    with (
        IMDB_CSV.open(newline="", encoding="utf-8") as source,
        corrected.open("w", newline="", encoding="utf-8") as out,
    ):
        records = list(csv.reader(source))
        rating = records[0].index("IMDB_Rating")
        fixed = [n for n, record in enumerate(records[1:], start=1) if record[rating] == "8.5"]
        for n in fixed:
            records[n][rating] = "8.6"  # the upstream fix: 8.5 is the bound `between` excludes
        csv.writer(out).writerows(records)
    pipeline.land(corrected)  # over the original, under the same key and ruleset

    (report,) = run_replay(None, pipeline.home, instance=pipeline.instance)

    assert report["success"] and len(fixed) == 20
    assert (report["moved_to_warehouse"], report["moved_to_quarantine"]) == (20, 0)
    assert quarantined_source_rows(pipeline.lake, partition_key).isdisjoint(fixed)
    assert report["after"] == {"warehouse_rows": 33 + 20, "quarantined_rows": ROWS - 33 - 20}
    assert len(_warehouse_movies(empty_warehouse)) == 33 + 20


def test_replay_of_a_file_gone_with_no_archive_copy_is_refused_and_moves_nothing(
    strictly_ingested, ruleset, empty_warehouse
):
    pipeline, partition_key = strictly_ingested
    assert not pipeline.lake.exists(pipeline.lake.landing_key(partition_key))  # loaded: it left input_data/
    (archive,) = pipeline.keys(PROCESSED)
    pipeline.lake.delete(archive)  # and its archive copy is gone too
    ruleset(RELAXED)

    (report,) = run_replay("input_data/imdb_movies_rating.csv", pipeline.home, instance=pipeline.instance)

    assert not report["success"] and report["run_id"] is None
    assert "no run archived it" in report["refused"]
    assert report["before"] == {"warehouse_rows": 33, "quarantined_rows": ROWS - 33}
    assert len(_warehouse_movies(empty_warehouse)) == 33
    assert len(quarantined_source_rows(pipeline.lake, partition_key)) == ROWS - 33


def test_replay_command_replays_each_file_with_quarantined_rows_and_reports_the_counts_read_back(
    strictly_ingested, ruleset, tmp_path, monkeypatch, capsys
):
    pipeline, _ = strictly_ingested
    top = tmp_path / "top_rated.csv"  # the header and the five best-rated movies: nothing quarantined
    top.write_text("".join(IMDB_CSV.read_text(encoding="utf-8").splitlines(keepends=True)[:6]), encoding="utf-8")
    assert pipeline.run(pipeline.land(top)).success
    monkeypatch.setenv("QUALITY_MOVIES_HOME", str(pipeline.home))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # an ephemeral instance: files found from the lake alone
    ruleset(RELAXED)

    assert cli.main(["replay", "--json"]) == 0  # loaded files left input_data/: landed again from their archive
    (report,) = json.loads(capsys.readouterr().out)
    assert (report["source_file"], report["moved_to_warehouse"]) == ("input_data/imdb_movies_rating.csv", 289)
    assert cli.main(["replay", "--file", "imdb_movies_rating.csv"]) == 0
    printed = capsys.readouterr().out

    assert "moved from quarantine to warehouse: 0\n" in printed
    assert "before: 322 in the warehouse, 678 quarantined\n" in printed
    assert "after: 322 in the warehouse, 678 quarantined\n" in printed


def test_replay_from_the_archive_lands_the_last_ingested_bytes_again_and_moves_the_newly_passing_rows(
    strictly_ingested, ruleset, empty_warehouse
):
    pipeline, partition_key = strictly_ingested
    landed = pipeline.lake.landing_key(partition_key)
    assert not pipeline.lake.exists(landed)  # loaded: it left input_data/
    (archive,) = pipeline.keys(PROCESSED)
    ruleset(RELAXED)

    (report,) = run_replay(landed, pipeline.home, instance=pipeline.instance)

    assert report["success"] and report["landed_from_archive"] == pipeline.lake.uri(archive)
    assert not pipeline.lake.exists(landed)  # landed again, loaded again, gone again
    (replayed,) = pipeline.keys(PROCESSED)  # the replay's archive replaced the ingest's: the same bytes
    assert replayed != archive and pipeline.lake.path(replayed).read_bytes() == IMDB_CSV.read_bytes()
    assert (report["moved_to_warehouse"], report["after"]) == (289, {"warehouse_rows": 322, "quarantined_rows": 678})
    assert _warehouse_movies(empty_warehouse) == _file_movies(_rated(8.0))


def test_replay_job_runs_the_ingest_assets_for_a_chosen_partition(tmp_path):
    defs = build_definitions(tmp_path)

    replay, ingest = defs.resolve_job_def("replay_quarantine"), defs.resolve_job_def("ingest_landed_file")

    assert replay.partitions_def == ingest.partitions_def
    assert set(replay.asset_layer.selected_asset_keys) == set(ingest.asset_layer.selected_asset_keys)
    assert set(replay.asset_layer.asset_graph.asset_check_keys) == set(ingest.asset_layer.asset_graph.asset_check_keys)
    assert replay.tags["quality_movies/replay"] == "true" and "quarantine" in replay.description


def test_a_loaded_partition_run_again_by_its_job_alone_lands_its_archive_again(strictly_ingested, empty_warehouse):
    """As the UI runs it (a re-materialization, or the replay job for a partition): no CLI to land the file first."""
    pipeline, partition_key = strictly_ingested
    landed = pipeline.lake.landing_key(partition_key)
    (archive,) = pipeline.keys(PROCESSED)

    result = pipeline.run(partition_key)

    assert result.success
    (landing,) = result.asset_materializations_for_node("landed_file")
    assert landing.metadata["landed_again_from"].value == pipeline.lake.uri(archive)
    assert not pipeline.lake.exists(landed)  # loaded again, so gone again
    assert len(_warehouse_movies(empty_warehouse)) == 33  # the same rows, replaced, not doubled
