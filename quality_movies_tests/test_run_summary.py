"""A failed run's `error`: one line a person can act on, read back from a real Dagster event log."""

import dagster as dg
import pytest

from quality_movies.run_summary import file_and_reason, summarize_run

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class UnreadableError(Exception):
    """Stands for a project exception whose message already says what is wrong."""


@dg.asset
def upstream() -> int:
    return 1


def _failing_asset(error: BaseException) -> dg.AssetsDefinition:
    @dg.asset(deps=[upstream])
    def downstream() -> None:
        raise error

    return downstream


def _summary_of_failed_run(error: BaseException) -> dict:
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [upstream, _failing_asset(error)], instance=instance, raise_on_error=False, run_config=QUIET
    )
    assert not result.success
    return summarize_run(instance, result.run_id)


@pytest.mark.parametrize(
    ("raised", "reason"),
    [
        (
            dg.Failure(description="input_data/a.csv: line 1: the header looks semicolon-separated"),
            "input_data/a.csv: line 1: the header looks semicolon-separated",
        ),
        (
            UnreadableError("input_data/a.parquet: line 1: not a CSV file: it is a Parquet file"),
            "input_data/a.parquet: line 1: not a CSV file: it is a Parquet file",
        ),
        (UnreadableError(), "UnreadableError"),
        (KeyError("imdb_rating"), "KeyError: 'imdb_rating'"),
        (
            ValueError("input_data/a.csv: line 7\n  expected 16 fields, found 3"),
            "ValueError: input_data/a.csv: line 7 expected 16 fields, found 3",
        ),
    ],
    ids=["dagster-failure", "project-exception", "empty-message", "builtin-exception", "multi-line-message"],
)
def test_a_failed_step_gives_its_reason_as_one_line_and_names_the_step(raised, reason):
    summary = _summary_of_failed_run(raised)

    assert summary["error"] == reason
    assert summary["failed_step"] == "downstream"


def test_a_successful_run_has_no_error():
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([upstream], instance=instance, run_config=QUIET)

    summary = summarize_run(instance, result.run_id)

    assert (summary["error"], summary["failed_step"]) == (None, None)


def test_a_reason_that_already_names_the_file_does_not_name_it_twice():
    assert file_and_reason("input_data/a.csv", "input_data/a.csv: line 1: empty") == "input_data/a.csv: line 1: empty"
    assert file_and_reason("input_data/a.csv", "the warehouse is down") == "input_data/a.csv: the warehouse is down"


def test_a_step_whose_retries_ran_out_gives_the_last_error_and_says_it_gave_up():
    @dg.asset(retry_policy=dg.RetryPolicy(max_retries=1))
    def flaky() -> None:
        raise UnreadableError("127.0.0.1:5439: connection refused")

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([flaky], instance=instance, raise_on_error=False, run_config=QUIET)

    summary = summarize_run(instance, result.run_id)
    assert summary["error"] == "127.0.0.1:5439: connection refused (Exceeded max_retries of 1)"
    assert summary["failed_step"] == "flaky"
