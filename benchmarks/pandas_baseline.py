"""The baseline: the default ruleset's rules as a pandera schema on pandas, doing the stage's work.

Same input (every field as text, only empty fields missing, crawled header names), same rules as
`quality_movies/rules/movies.dqdl`, same outputs: good rows typed to Parquet, bad rows with the
rules they failed to JSON Lines, rule outcomes to JSON. Phases are timed separately so that the
report can compare with the rules alone as well as with the whole stage.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

RATING = 'ColumnValues "imdb_rating" between 8.5 and 10.3'
YEAR = 'ColumnValues "released_year" matches "[0-9]{4}"'


def _rating_between(values: pd.Series) -> pd.Series:
    rating = pd.to_numeric(values.str.strip(), errors="coerce")
    return (rating > 8.5) & (rating < 10.3)  # DQDL's between excludes its bounds


SCHEMA = pa.DataFrameSchema(
    {
        "imdb_rating": pa.Column(str, nullable=False, checks=pa.Check(_rating_between, name=RATING)),
        "series_title": pa.Column(str, nullable=False),
        "genre": pa.Column(str, nullable=False),
        "released_year": pa.Column(
            str, nullable=False, checks=pa.Check(lambda values: values.str.fullmatch(r"[0-9]{4}"), name=YEAR)
        ),
    },
    checks=[pa.Check(lambda frame: len(frame) > 0, name="RowCount > 0")],
)
# pandera names a failed `nullable=False` "not_nullable"; the stage calls it IsComplete.
_COMPLETE = {"imdb_rating", "series_title", "genre", "released_year"}


def run(csv_path: Path, out_dir: Path) -> dict[str, float]:
    """Read, validate, route and write; returns seconds per phase."""
    out_dir.mkdir(parents=True, exist_ok=True)
    phases: dict[str, float] = {}
    start = time.perf_counter()
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False, na_values=[""])
    frame.columns = [name.lower() for name in frame.columns]
    phases["read"] = time.perf_counter() - start

    start = time.perf_counter()
    try:
        SCHEMA.validate(frame, lazy=True)
        failures = pd.DataFrame(columns=["index", "column", "check"])
    except pa.errors.SchemaErrors as errors:
        failures = errors.failure_cases
    failed = failures.dropna(subset=["index"])
    rule = failed["check"].where(failed["check"] != "not_nullable", 'IsComplete "' + failed["column"] + '"')
    failed_rules = rule.groupby(failed["index"].astype(int)).agg(list)
    bad_mask = frame.index.isin(failed_rules.index)
    phases["validate"] = time.perf_counter() - start

    start = time.perf_counter()
    bad = frame[bad_mask].copy()
    bad["DataQualityRulesFail"] = failed_rules.reindex(bad.index)
    bad["DataQualityEvaluationResult"] = "Failed"
    bad.to_json(out_dir / "bad_records.jsonl", orient="records", lines=True)
    good = frame[~bad_mask].copy()
    for name in ("imdb_rating", "meta_score", "no_of_votes"):
        good[name] = pd.to_numeric(good[name].str.strip(), errors="coerce")
    good.to_parquet(out_dir / "good_rows.parquet")
    outcomes = failures.groupby("check", dropna=False).size().to_dict()
    (out_dir / "rule_outcome.json").write_text(json.dumps({str(k): int(v) for k, v in outcomes.items()}))
    phases["write"] = time.perf_counter() - start
    phases["rows"] = len(frame)
    phases["rows_good"] = int((~bad_mask).sum())
    return phases
