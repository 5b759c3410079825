"""Pipeline-status and data-quality messages, sent by the hooks and the run-failure sensor to the outbox."""

import json
import re

import dagster as dg

from quality_movies.definitions import build_definitions
from quality_movies.jobs import ingest_landed_file
from quality_movies.resources.lake import NOTIFICATIONS
from quality_movies.resources.notifier import Message, OutboxNotifier, sns_subject
from quality_movies.sensors import notify_run_failure
from quality_movies_tests.conftest import IMDB_CSV, Pipeline, read_imdb
from quality_movies_tests.data_files import VARIANTS


def _outbox(pipeline) -> list[dict]:
    path = pipeline.lake.path(f"{NOTIFICATIONS}/outbox.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_successful_run_sends_the_quality_result_then_the_success_status(pipeline):
    result = pipeline.run(pipeline.land(IMDB_CSV))

    quality, status = _outbox(pipeline)
    assert quality["attributes"]["event"] == "data_quality"
    assert quality["subject"] == "quality_movies data quality 5/7 rules passed (71%): input_data/imdb_movies_rating.csv"
    assert '  - ColumnValues "imdb_rating" between 8.5 and 10.3' in quality["body"].splitlines()
    assert status["attributes"]["event"] == "pipeline_status"
    summary = json.loads(status["attributes"]["summary"])
    assert (summary["status"], summary["run_id"], summary["rows_in"]) == ("SUCCEEDED", result.run_id, 1000)


def test_a_failed_step_sends_one_failure_status_naming_the_error(pipeline, tmp_path):
    broken = tmp_path / "no_rating.csv"
    read_imdb().drop("imdb_rating").write_csv(broken)

    pipeline.run(pipeline.land(broken))

    (status,) = _outbox(pipeline)
    assert status["subject"].startswith("quality_movies FAILED: input_data/no_rating.csv: ")
    first_line = status["body"].splitlines()[0]
    assert first_line.startswith("The quality_movies pipeline failed for input_data/no_rating.csv: ")
    assert "lacks imdb_rating" in first_line
    assert "Failed step: quality_stage" in status["body"].splitlines()
    assert "None" not in status["body"]


def test_an_unreadable_file_sends_a_failure_status_that_leads_with_the_reason(pipeline):
    pipeline.run(pipeline.land(VARIANTS / "messy_imdb_dataset.csv"))

    (status,) = _outbox(pipeline)
    reason = "semicolon-separated"
    assert status["subject"].startswith("quality_movies FAILED: input_data/messy_imdb_dataset.csv: ")
    assert reason in status["subject"]
    assert re.match(
        r"The quality_movies pipeline failed for input_data/messy_imdb_dataset\.csv: .*" + reason,
        status["body"].splitlines()[0],
    )
    assert "None" not in status["body"] and "Traceback" not in status["body"]
    summary = json.loads(status["attributes"]["summary"])
    assert reason in summary["error"] and summary["failed_step"]


def test_a_run_stopped_by_a_dagster_failure_sends_its_description_first(pipeline, tmp_path, monkeypatch):
    (tmp_path / "strict.dqdl").write_text('Rules = [\n    ColumnValues "imdb_rating" between 8.5 and 10.3\n]\n')
    rule = '"ColumnValues \\"imdb_rating\\" between 8.5 and 10.3"'
    (tmp_path / "strict.toml").write_text(f'on_dataset_failure = "stop"\n[rules.{rule}]\nseverity = "error"\n')
    monkeypatch.setenv("QUALITY_MOVIES_RULESET", str(tmp_path / "strict.dqdl"))
    stopping = Pipeline(pipeline.home)  # the job is built from the ruleset now configured

    stopping.run(stopping.land(IMDB_CSV))

    (status,) = _outbox(stopping)
    first_line = status["body"].splitlines()[0]
    assert first_line.startswith("The quality_movies pipeline failed for input_data/imdb_movies_rating.csv: ")
    assert first_line.endswith("no row was routed or loaded.")
    assert "Rows in: 1000" in status["body"].splitlines() and "None" not in status["body"]


def test_a_run_failing_outside_any_step_is_reported_by_the_run_failure_sensor(tmp_path):
    outbox = OutboxNotifier(path=str(tmp_path / "outbox.jsonl"))
    with dg.instance_for_test() as instance:
        run = instance.create_run_for_job(build_definitions(tmp_path).resolve_job_def(ingest_landed_file.name))
        instance.report_run_failed(run)
        failure = next(iter(instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)))
        context = dg.build_run_status_sensor_context(
            sensor_name=notify_run_failure.name,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(run.run_id),
            dagster_event=failure.dagster_event,
            resources={"notifier": outbox},
        ).for_run_failure()
        notify_run_failure(context)

    (sent,) = [json.loads(line) for line in (tmp_path / "outbox.jsonl").read_text().splitlines()]
    assert sent["subject"].startswith("quality_movies FAILED")
    assert "marked as failed from outside the execution context" in sent["body"].splitlines()[0]  # Dagster's reason
    assert "None" not in sent["body"]
    assert json.loads(sent["attributes"]["summary"])["run_id"] == run.run_id


def test_sns_subjects_are_one_ascii_line_of_at_most_100_characters():
    subject = sns_subject("quality_movies FAILED: input_data/Gunnar Björnstrand\nnotes " + "x" * 200)
    assert subject.isascii() and "\n" not in subject and len(subject) == 100


def test_an_unsendable_message_is_retried_then_dropped_without_raising(tmp_path):
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("a file where the outbox folder should be")
    outbox = OutboxNotifier(path=str(blocked / "outbox.jsonl"), attempts=3, backoff_seconds=0)

    assert outbox.publish(Message("subject", "body")) is False
