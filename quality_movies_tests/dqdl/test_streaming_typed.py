"""Every rule type through Polars' streaming engine on a typed frame with carried columns.

The quality stage collects ``prepared.measures`` and sinks ``prepared.rows`` with ``engine="streaming"``;
each rule must give there what the in-memory engine gives (the hand-worked values are in
test_typed_evaluation.py). The frame is scanned from Parquet and is large enough to be cut into
several batches.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from quality_movies import dqdl
from quality_movies.dqdl.catalogue import CATALOGUE
from quality_movies_tests.dqdl.helpers import NOW, TYPED

REPEATS = 10_000  # 50,000 rows
CARRY = ("raw_age", "__line")

RULES = [
    "RowCount > 0",
    'RowCount > 0 where "age > 14"',
    "ColumnCount = 6",
    'ColumnExists "age"',
    'ColumnNamesMatchPattern "[a-z]+"',
    'IsComplete "age"',
    'Completeness "rating" > 0.5',
    'IsUnique "id"',
    'Uniqueness "age" < 0.1',
    'UniqueValueRatio "age" < 0.1 where "rating > 8"',
    'IsPrimaryKey "id" "age"',
    'DistinctValuesCount "age" = 3',
    'Entropy "age" > 1',
    'Entropy "rating" > 1 where "ok"',
    'Entropy "ok" > 0',
    'Mean "age" = 18',
    'Sum "rating" > 1',
    'StandardDeviation "age" between 7 and 7.1',
    'Variance "age" between 49 and 51',
    'ColumnCorrelation "id" "age" < 1',
    'ColumnValues "age" between 12 and 30',
    'ColumnValues "age" in [15, 30]',
    'ColumnValues "rating" not between 8.5 and 10',
    'ColumnValues "ok" = "true"',
    'ColumnValues "age" matches "1[0-9]"',
    'ColumnValues "seen" > "2024-02-01"',
    'ColumnValues "name" in ["Ann","Bob"] where "age > 14"',
    'ColumnLength "rating" <= 3',
    'ColumnDataType "age" = "INTEGER"',
    'ColumnDataType "seen" = "TIMESTAMP"',
    'DataFreshness "seen" <= 10 days',
    'CustomSql "select count(*) from primary where age > 14" > 0',
    'CustomSql "select id from primary where rating >= 9"',
    '(IsComplete "age") and (ColumnValues "rating" > 8)',
]


@pytest.fixture(scope="module")
def typed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """TYPED repeated, ids renumbered, with the raw text of age and a line number carried beside it."""
    frame = pl.concat([TYPED] * REPEATS).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("id"),
        pl.col("age").cast(pl.String).fill_null("x").alias("raw_age"),
        pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias("__line"),
    )
    path = tmp_path_factory.mktemp("typed") / "typed.parquet"
    frame.write_parquet(path, row_group_size=10_000)
    return path


def test_the_rules_cover_every_rule_type_the_engine_evaluates() -> None:
    covered = {
        leaf.rule_type for rule in dqdl.parse("Rules = [" + ",".join(RULES) + "]").rules for leaf in _leaves(rule)
    }
    evaluated = {name for name, spec in CATALOGUE.items() if spec.unsupported is None}
    assert covered == evaluated - {"DetectAnomalies"}  # needs a history: test_dynamic_rules streams it


@pytest.mark.parametrize("rule", RULES)
def test_streaming_gives_the_in_memory_outcome(rule: str, typed_file: Path, tmp_path: Path) -> None:
    ruleset = f"Rules = [ {rule} ]"
    prepared = dqdl.prepare(ruleset, pl.scan_parquet(typed_file), now=NOW, carry=CARRY)
    (streamed,) = prepared.outcomes(pl.collect_all(prepared.measures, engine="streaming"))
    prepared.rows.sink_parquet(tmp_path / "rows.parquet", engine="streaming")

    frame = pl.read_parquet(typed_file)
    in_memory = dqdl.evaluate(ruleset, frame, now=NOW, carry=CARRY)
    (expected,) = in_memory.rules
    assert streamed.outcome == expected.outcome != "Error", expected.failure_reason
    assert (streamed.failure_reason, streamed.failing_rows) == (expected.failure_reason, expected.failing_rows)
    assert streamed.evaluated_metrics == pytest.approx(expected.evaluated_metrics, rel=1e-9)
    assert pl.read_parquet(tmp_path / "rows.parquet").equals(in_memory.rows)


def _leaves(rule: dqdl.Rule | dqdl.Composite) -> list[dqdl.Rule]:
    return rule.leaves() if isinstance(rule, dqdl.Composite) else [rule]
