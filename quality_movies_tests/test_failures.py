"""Known file problems fail their step with the reason as description and the file, line and cause as metadata."""

import dagster as dg

from quality_movies.assets.failures import failure_metadata
from quality_movies.contract import MissingColumnsError
from quality_movies.landed_bytes import UnreadableFileError
from quality_movies_tests.conftest import read_imdb
from quality_movies_tests.data_files import VARIANTS


def _failure(result: dg.ExecuteInProcessResult):
    (failed,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    return failed.step_key, failed.step_failure_data.user_failure_data


def _values(metadata) -> dict:
    return {name: value.value for name, value in metadata.items()}


def test_an_unreadable_file_fails_with_its_reason_file_line_and_cause(pipeline):
    result = pipeline.run(pipeline.land(VARIANTS / "messy_imdb_dataset.csv"))

    step, failure = _failure(result)
    assert step == "crawled_table"
    assert failure.description.startswith("input_data/messy_imdb_dataset.csv: line 1: the header looks semicolon")
    metadata = _values(failure.metadata)
    assert metadata["file"] == "input_data/messy_imdb_dataset.csv" and metadata["line"] == 1
    assert metadata["cause"].startswith("the header looks semicolon-separated")
    assert metadata["problem"] == "UnreadableFileError"
    # What the partition's page in the UI lists: the reason, observed on the failing asset's partition.
    logged = pipeline.instance.all_logs(result.run_id, of_type=dg.DagsterEventType.ASSET_OBSERVATION)
    (observed,) = [entry.dagster_event.asset_observation_data.asset_observation for entry in logged]
    assert (observed.asset_key.path, observed.partition) == (["crawled_table"], "messy_imdb_dataset.csv")
    assert observed.description == failure.description and observed.metadata["line"].value == 1


def test_a_file_missing_a_required_column_fails_with_the_header_line_and_the_columns_missing(pipeline, tmp_path):
    no_genre = tmp_path / "no_genre.csv"
    read_imdb().drop("genre").write_csv(no_genre)

    step, failure = _failure(pipeline.run(pipeline.land(no_genre)))

    assert step == "quality_stage"
    assert failure.description.startswith("input_data/no_genre.csv: the header lacks genre")
    metadata = _values(failure.metadata)
    assert (metadata["file"], metadata["line"], metadata["problem"]) == (
        "input_data/no_genre.csv",
        1,
        "MissingColumnsError",
    )
    assert metadata["cause"].startswith("the header lacks genre; expected columns: ")


def test_a_range_of_lines_reports_its_first_line_and_a_whole_file_problem_no_line():
    spanning = failure_metadata(UnreadableFileError("in/a.csv: lines 3-5: a quote is never closed"), "in/a.csv")
    assert (spanning["line"], spanning["cause"]) == (3, "a quote is never closed")

    empty = failure_metadata(UnreadableFileError("in/b.csv: the file is empty (not even a header)"))
    assert empty == {
        "file": "in/b.csv",
        "cause": "the file is empty (not even a header)",
        "problem": "UnreadableFileError",
    }
    assert failure_metadata(MissingColumnsError("in/c.csv: the header lacks genre"), "in/c.csv")["line"] == 1
