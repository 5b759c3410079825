"""Issue 12's "done when" for dynamic rules and anomaly detection.

Files whose row counts drift are landed, sensed by the landing sensor and run through the Dagster job one after
the other; the dynamic RowCount rule and DetectAnomalies flag the outlier file, and only it, from the history the
earlier runs left in the lake, and the first files report too little history.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from quality_movies.resources.lake import RULE_OUTCOME
from quality_movies_tests.conftest import Pipeline
from quality_movies_tests.data_files import IMDB_CSV
from quality_movies_tests.landing_sensor_driver import LandingSensorDriver

DYNAMIC = "RowCount > avg(last(3)) * 0.8"
ANOMALIES = 'DetectAnomalies "RowCount"'
ROW_COUNTS = [990, 980, 1000, 985, 995, 300]  # slices of the real IMDb export; the last is the outlier


def _ruleset(folder: Path) -> Path:
    ruleset = folder / "drift.dqdl"
    ruleset.write_text(f'Rules = [ {DYNAMIC}, {ANOMALIES}, IsComplete "series_title" ]\n')
    # Rules in Error (too little history) must not stop the first files: they are reported, and the rows route.
    ruleset.with_suffix(".toml").write_text('[defaults]\nseverity = "warn"\non_error = "ignore"\n')
    return ruleset


def _landed_files(folder: Path) -> list[Path]:
    imdb = pl.read_csv(IMDB_CSV, infer_schema=False)  # all text: the files hold the export's own values
    files = []
    for number, rows in enumerate(ROW_COUNTS, start=1):
        path = folder / f"imdb_part_{number}.csv"
        imdb.head(rows).write_csv(path)
        files.append(path)
    return files


def _outcomes(pipeline: Pipeline, partition: str, run_id: str) -> dict[str, dict]:
    (key,) = [key for key in pipeline.keys(RULE_OUTCOME) if f"/run_id={run_id}/" in key and partition in key]
    return {record["rule"]: record for record in pipeline.read_ndjson(key).to_dicts()}


def test_the_dynamic_rule_and_detect_anomalies_flag_the_outlier_file_and_only_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_home: Path, empty_warehouse
) -> None:
    monkeypatch.setenv("QUALITY_MOVIES_RULESET", str(_ruleset(tmp_path)))
    pipeline = Pipeline(clean_home)

    verdicts = []
    with dg.instance_for_test() as instance:
        sensor = LandingSensorDriver(pipeline.lake, instance)
        for path in _landed_files(tmp_path):
            pipeline.lake.put_file(path, f"input_data/{path.name}")  # landed, then sensed as the daemon senses it
            (request,) = sensor.settle()
            partition = request.partition_key
            result = pipeline.job.execute_in_process(partition_key=partition, instance=instance, tags=request.tags)
            outcomes = _outcomes(pipeline, partition, result.run_id)
            verdicts.append((outcomes[DYNAMIC]["outcome"], outcomes[ANOMALIES]["outcome"]))
            if path.name.endswith("_6.csv"):
                outlier = outcomes
            elif path.name.endswith("_1.csv"):
                first = outcomes

    assert verdicts == [
        ("Error", "Error"),  # no previous run
        ("Error", "Error"),
        ("Error", "Error"),  # two previous runs: avg(last(3)) needs three
        ("Passed", "Error"),  # 985 > 0.8 * avg(1000, 980, 990); anomalies need five previous runs
        ("Passed", "Error"),
        ("Failed", "Failed"),  # 300 rows
    ]
    assert "too little history" in first[DYNAMIC]["reason"] and "too little history" in first[ANOMALIES]["reason"]
    assert outlier[DYNAMIC]["metrics"]["Dataset.*.RowCount.Dynamic[avg(last(3)) * 0.8]"] == pytest.approx(
        0.8 * (995 + 985 + 1000) / 3
    )
    anomaly = outlier[ANOMALIES]["metrics"]
    assert anomaly["Dataset.*.RowCount"] == 300
    # Median 990 and MAD 5 of the five earlier files: the expected range is 990 +- 3.5 * 5 / 0.6745.
    assert (anomaly["Dataset.*.RowCount.LowerBound"], anomaly["Dataset.*.RowCount.UpperBound"]) == (
        pytest.approx(964.05, abs=0.01),
        pytest.approx(1015.95, abs=0.01),
    )
    assert "outside the expected range" in outlier[ANOMALIES]["reason"]
