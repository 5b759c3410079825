"""What a compiled rule is: Polars expressions for its row outcomes and metrics, and a judge.

The compiler turns each rule into a ``LeafPlan``; the evaluator puts every plan's row expression into
one ``with_columns`` and every metric into one ``select``, then lets each judge decide on the values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl

from quality_movies.dqdl.conditions import Unevaluable, satisfies
from quality_movies.dqdl.model import Condition, Rule
from quality_movies.dqdl.sql import resolve

if TYPE_CHECKING:
    from quality_movies.dqdl.dynamic import MetricHistory

Values = Mapping[str, "float | None"]
# Returns None when the rule passes, otherwise the failure reason; raises Unevaluable for an Error.
Judge = Callable[[Values], "str | None"]

PASSED_ROWS = "rows.passed"
FAILED_ROWS = "rows.failed"


class MissingColumn(LookupError):
    """A rule names a column the frame does not have."""


def always_passes(_: Values) -> str | None:
    return None


@dataclass
class LeafPlan:
    """How to evaluate one (non-composite) rule."""

    rule: Rule
    row: pl.Expr | None = None  # Boolean per row: true passed, false failed, null skipped
    metrics: dict[str, pl.Expr] = field(default_factory=dict)  # reported, named as Glue names them
    extra: dict[str, pl.Expr] = field(default_factory=dict)  # needed by the judge, not reported
    queries: dict[str, pl.LazyFrame] = field(default_factory=dict)  # one-value SQL results, reported
    join: Callable[[pl.LazyFrame], pl.LazyFrame] | None = None  # adds columns the row expression uses
    compliance_metric: str | None = None  # reported as passed rows / evaluated rows
    judge: Judge = always_passes
    error: str | None = None
    derived: dict[str, float] = field(default_factory=dict)  # set by the judge: what it read from the history

    @property
    def text(self) -> str:
        return self.rule.render()


@dataclass(frozen=True)
class Scope:
    """The frame a rule sees: its schema, and the rows its ``where`` clause keeps (``mask``)."""

    frame: pl.LazyFrame
    schema: pl.Schema
    mask: pl.Expr | None
    now: datetime
    tag: str  # unique per rule, for helper column names
    history: MetricHistory | None = None  # previous runs' metrics: dynamic conditions, DetectAnomalies
    where: str | None = None  # the where clause's text (unescaped), which names the rule's metrics apart

    def metric(self, name: str) -> str:
        """The reported name of the metric Glue calls `name`: with a where clause, `<name>.Where[<clause>]`.

        A rule on a subset of the rows measures something else than the same rule on all of them, so its metric
        gets a name (and a history, for dynamic rules and DetectAnomalies) of its own.
        """
        return name if self.where is None else f"{name}.Where[{self.where}]"

    def column(self, name: str) -> str:
        """The frame column a rule's column name refers to (case-insensitive, as in Glue)."""
        found = resolve(name, self.schema.names())
        if found is None:
            raise MissingColumn(f'Column "{name}" does not exist in the data')
        return found

    def kept(self, expr: pl.Expr) -> pl.Expr:
        """The values of ``expr`` on the rows the where clause keeps, for aggregation."""
        return expr if self.mask is None else expr.filter(self.mask)

    def kept_if(self, expr: pl.Expr, keep: pl.Expr) -> pl.Expr:
        """The values of ``expr`` on the rows the where clause keeps and ``keep`` holds on: one filter, as
        two chained filters would compare masks of different lengths."""
        return expr.filter(keep if self.mask is None else keep & self.mask.fill_null(False))

    def per_row(self, outcome: pl.Expr) -> pl.Expr:
        """A row outcome, skipped (null) on rows the where clause leaves out."""
        return outcome if self.mask is None else pl.when(self.mask).then(outcome)

    def row_count(self) -> pl.Expr:
        return pl.len() if self.mask is None else self.mask.fill_null(False).sum()

    def group_size(self, *columns: str) -> pl.Expr:
        """For each row, how many kept rows share its value(s) in ``columns``."""
        keys = [pl.col(c) for c in columns]
        if self.mask is None:
            return pl.len().over(keys)
        return self.mask.fill_null(False).cast(pl.UInt32).sum().over(keys)


def as_number(column: str, dtype: pl.DataType) -> pl.Expr:
    """A column as Float64; text that is not a number becomes null (as Spark's cast does)."""
    x = pl.col(column)
    if dtype == pl.String:
        return x.str.strip_chars().cast(pl.Float64, strict=False)
    return x.cast(pl.Float64, strict=False)


def as_text(column: str, dtype: pl.DataType) -> pl.Expr:
    x = pl.col(column)
    return x if dtype == pl.String else x.cast(pl.String)


def show(value: float | None) -> str:
    """A metric value as Glue prints it in failure reasons."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    return f"{value:.10g}" if isinstance(value, float) else str(value)


def metric_judge(name: str, condition: Condition) -> Judge:
    """Pass when the metric ``name`` meets ``condition``."""

    def judge(values: Values) -> str | None:
        value = values.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise Unevaluable(f"{name} could not be computed (no non-null values)")
        if satisfies(condition, float(value)):
            return None
        return f"Value: {show(value)} does not meet the constraint requirement!"

    return judge


def compliance_judge(threshold: Condition | None) -> Judge:
    """Pass when no evaluated row fails, or, with a threshold, when the passing share meets it."""

    def judge(values: Values) -> str | None:
        passed, failed = int(values.get(PASSED_ROWS) or 0), int(values.get(FAILED_ROWS) or 0)
        evaluated = passed + failed
        if threshold is None:
            if failed == 0:
                return None
            return f"{failed} of {evaluated} evaluated rows do not meet the constraint requirement!"
        share = passed / evaluated if evaluated else 1.0
        if satisfies(threshold, share):
            return None
        return f"Value: {show(share)} does not meet the threshold requirement ({threshold.render()})!"

    return judge
