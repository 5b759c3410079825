"""Small helpers for hand-worked rule tests: one rule, one small frame, outcomes as letters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import polars as pl

from quality_movies import dqdl

NOW = datetime(2024, 3, 10, 12, 0, 0)
# The types Glue's crawler gives CSV columns that the engine receives typed; every other column stays text.
CRAWLED_TYPES = (pl.Int64, pl.Float64, pl.Boolean)

# age (bigint): 30, 15, null, 15, 12; rating (double): 8.5, 9.0, 7.25, null, 10.0; ok (boolean): T, F, null, T, T
TYPED = pl.DataFrame(
    {
        "id": [1, 2, 3, 4, 5],
        "age": [30, 15, None, 15, 12],
        "rating": [8.5, 9.0, 7.25, None, 10.0],
        "ok": [True, False, None, True, True],
        "name": ["Ann", "Bob", None, "Bob", "Eve"],
        "seen": ["2024-03-09", "2024-01-01", None, "2024-03-01 08:30:00", "soon"],
    },
    schema={
        "id": pl.Int64,
        "age": pl.Int64,
        "rating": pl.Float64,
        "ok": pl.Boolean,
        "name": pl.String,
        "seen": pl.String,
    },
)


def judge(rule: str, frame: pl.DataFrame, *, carry: Sequence[str] = ()) -> tuple[dqdl.RuleOutcome, list[str]]:
    """Evaluate a one-rule ruleset: the rule's outcome and, per row, P (passed), F (failed) or S (skipped)."""
    evaluation = dqdl.evaluate(f"Rules = [ {rule} ]", frame, now=NOW, carry=carry)
    (outcome,) = evaluation.rules
    letters = []
    for row in evaluation.rows.iter_rows(named=True):
        marks = [
            letter
            for letter, column in (("P", dqdl.PASS_COLUMN), ("F", dqdl.FAIL_COLUMN), ("S", dqdl.SKIP_COLUMN))
            if outcome.rule in row[column]
        ]
        assert len(marks) == 1, row
        letters.append(marks[0])
    return outcome, letters


def rows(rule: str, frame: pl.DataFrame, *, carry: Sequence[str] = ()) -> str:
    """Per-row outcome letters as one string, e.g. ``"PPFSP"``."""
    return "".join(judge(rule, frame, carry=carry)[1])


def outcome(rule: str, frame: pl.DataFrame, *, carry: Sequence[str] = ()) -> str:
    """The rule's outcome: Passed, Failed or Error."""
    return judge(rule, frame, carry=carry)[0].outcome


def type_share(rule: str, frame: pl.DataFrame) -> float | None:
    """A ColumnDataType rule's share of fitting non-null values; it has no row-level results (every row skips it)."""
    result, letters = judge(rule, frame)
    assert set(letters) == {"S"}, letters
    return next(iter(result.evaluated_metrics.values()), None)


def crawled(path: Path) -> pl.DataFrame:
    """A CSV typed as Glue's crawler types it: types inferred from the first 10,000 rows, lower-case names;
    bigint, double and boolean columns typed, every other column its raw text."""
    inferred = pl.read_csv(path, infer_schema_length=10_000)
    text = pl.read_csv(path, infer_schema=False)
    columns = [inferred[name] if inferred[name].dtype in CRAWLED_TYPES else text[name] for name in text.columns]
    return pl.DataFrame(columns).rename(str.lower)
