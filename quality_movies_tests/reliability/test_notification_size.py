"""A file cannot suppress its own alert: every notification fits SNS's 256 KiB, with a pointer to the rest."""

from __future__ import annotations

import json

from quality_movies.notifications import SNS_MAX_BYTES, quality_message, status_message
from quality_movies.resources.notifier import Message

OUTCOME = "s3://lake/rule_outcome/source_file=wide.csv/run_id=r1/rule_outcome.jsonl"
# What a 300 KB repeated header put in a run's summary: the rule that lists every misfit column, the error.
HUGE_RULE = 'ColumnNamesMatchPattern "[a-z_]+" ' + ", ".join(f"Column{n}" for n in range(40_000))
HUGE_ERROR = "wide.csv: line 1: the header names " + "x" * 600_000


def _sns_size(message: Message) -> int:
    """Bytes SNS counts: the body and every attribute's name, type and value."""
    attributes = sum(len(k.encode()) + len(b"String") + len(v.encode()) for k, v in message.attributes.items())
    return len(message.body.encode()) + attributes


def _summary(**fields: object) -> dict[str, object]:
    base = {"run_id": "r1", "source_file": "input_data/wide.csv", "partition": "wide.csv", "rule_outcome": OUTCOME}
    return (
        base | {"dq_result": "1/2 rules passed (50%)", "rows_in": 10, "rows_bad": 10, "bad_records": "s3://x"} | fields
    )


def test_a_quality_result_listing_a_huge_rule_fits_sns_and_points_to_the_rule_outcome():
    message = quality_message(_summary(failed_rules=[HUGE_RULE]))
    assert _sns_size(message) < SNS_MAX_BYTES
    assert message.body.startswith("Data quality for input_data/wide.csv: 1/2 rules passed (50%).")
    assert f"the full rule outcome is at {OUTCOME}" in message.body.splitlines()[-1]
    summary = json.loads(message.attributes["summary"])
    assert summary["run_id"] == "r1" and "failed_rules" in summary["shortened"]


def test_a_failure_status_with_a_huge_error_fits_sns():
    message = status_message(_summary(error=HUGE_ERROR, failed_step="quality_stage"), succeeded=False)
    assert _sns_size(message) < SNS_MAX_BYTES
    assert "shortened from" in message.body and "run r1 in Dagster" in message.body
    assert json.loads(message.attributes["summary"])["status"] == "FAILED"


def test_an_ordinary_message_is_not_shortened():
    message = quality_message(_summary(failed_rules=['IsComplete "genre"']))
    assert "shortened" not in message.body and "shortened" not in json.loads(message.attributes["summary"])
