"""Compiles DQDL rules into Polars expressions (``LeafPlan``), one builder per rule type.

Statistics follow Deequ, which Glue Data Quality runs on: Completeness is the share of non-null rows;
Uniqueness is the share of non-null rows whose value occurs exactly once; UniqueValueRatio is values
occurring once over distinct values; StandardDeviation and Variance are the population's; Entropy uses the
natural logarithm. Row level: IsComplete fails null rows, Uniqueness/IsUnique fail every row whose
value occurs more than once (as in the Glue reference run). A value is missing only when it is null:
an empty string is a value, as in Spark; Glue's CSV reader (like Polars') reads empty fields as null,
which is why ``IsComplete`` fails the empty fields of the IMDb file.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

import polars as pl

from quality_movies.dqdl import rowchecks
from quality_movies.dqdl.catalogue import spec_for
from quality_movies.dqdl.conditions import Unevaluable
from quality_movies.dqdl.dynamic import MetricHistory, is_dynamic
from quality_movies.dqdl.grammar import unescape
from quality_movies.dqdl.history_rules import anomaly_plan, dynamic_plan
from quality_movies.dqdl.model import Rule
from quality_movies.dqdl.plan import (
    LeafPlan,
    MissingColumn,
    Scope,
    Values,
    as_number,
    metric_judge,
)
from quality_movies.dqdl.sql import SqlError, predicate

Builder = Callable[[Rule, Scope], LeafPlan]
_COUNT = "__dq_count"  # the count field of value_counts, named apart from any data column


def compile_rule(
    rule: Rule, frame: pl.LazyFrame, now: datetime, tag: str, history: MetricHistory | None = None
) -> LeafPlan:
    """The plan for one rule; a rule that cannot be evaluated gets a plan carrying its error.

    `history` answers dynamic conditions and DetectAnomalies (read only when such a rule is judged).
    """
    spec = spec_for(rule.rule_type)
    if spec is None:  # the parser rejects unknown types; a hand-built Rule may not
        return LeafPlan(rule, error=f"Unknown rule type {rule.rule_type}")
    if spec.unsupported:
        return LeafPlan(rule, error=f"{rule.rule_type} is not supported here: it {spec.unsupported}")
    schema = frame.collect_schema()
    try:
        if rule.where is not None and rule.rule_type == "CustomSql":
            raise Unevaluable("Where clause is not supported for rule type: CustomSql")
        where = unescape(rule.where) if rule.where is not None else None
        mask = predicate(where, schema.names()) if where is not None else None
        plan = BUILDERS[rule.rule_type](rule, Scope(frame, schema, mask, now, tag, history, where))
        if is_dynamic(rule.condition):
            plan = dynamic_plan(plan, history)
        _probe(plan, frame, mask)
    except (MissingColumn, Unevaluable, SqlError) as error:
        return LeafPlan(rule, error=str(error))
    return plan


def _probe(plan: LeafPlan, frame: pl.LazyFrame, mask: pl.Expr | None) -> None:
    """Run the plan on zero rows of the frame the rules see, so that type and regex errors, and names of
    columns the rules may not see, stay with their rule (a where clause too, even if the rule ignores it)."""
    empty = frame.clear()
    exprs = [*plan.metrics.values(), *plan.extra.values(), *([] if mask is None else [mask])]
    if plan.row is not None and plan.join is None:  # a joined marker column only exists after the join
        exprs.append(plan.row.alias("__dq_probe_row"))
    try:
        if exprs:
            empty.select([e.alias(f"__dq_probe_{i}") for i, e in enumerate(exprs)]).collect()
        for result in plan.queries.values():
            result.collect_schema()
    except Exception as error:  # Polars reports type, regex and SQL problems with many exception types
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise Unevaluable(f"cannot be evaluated on this data: {message}") from error


# ------------------------------------------------------------------------------------ dataset level


def _row_count(rule: Rule, scope: Scope) -> LeafPlan:
    name = scope.metric("Dataset.*.RowCount")
    return LeafPlan(rule, metrics={name: scope.row_count()}, judge=metric_judge(name, rule.condition))


def _column_count(rule: Rule, scope: Scope) -> LeafPlan:
    name = "Dataset.*.ColumnCount"
    count = pl.lit(len(scope.schema), dtype=pl.Int64)
    return LeafPlan(rule, metrics={name: count}, judge=metric_judge(name, rule.condition))


def _column_exists(rule: Rule, scope: Scope) -> LeafPlan:
    wanted = rule.columns[0]
    try:
        scope.column(wanted)
    except MissingColumn as missing:
        reason = str(missing)
        return LeafPlan(rule, judge=lambda _: reason)
    return LeafPlan(rule)


def _column_names_match_pattern(rule: Rule, scope: Scope) -> LeafPlan:
    # Polars' (Rust) regex engine, as for values' `matches`: linear in the name's length whatever the
    # pattern, where Python's `re` backtracks exponentially on patterns like `([a-z]+_?)+`.
    names = pl.Series(scope.schema.names(), dtype=pl.String)
    try:
        fits = names.str.contains(f"^(?:{rule.columns[0]})$")
    except pl.exceptions.PolarsError as error:
        raise Unevaluable(f"invalid pattern {rule.columns[0]!r}: {error}") from error
    misfits = names.filter(~fits).to_list()
    reason = f"Columns that do not match the pattern: {', '.join(misfits)}" if misfits else None
    # The metric AWS's rule type reference names for it: the share of column names that match.
    ratio = pl.lit(fits.mean() if len(names) else None, dtype=pl.Float64)
    return LeafPlan(rule, metrics={"Dataset.*.ColumnNamesPatternMatchRatio": ratio}, judge=lambda _: reason)


def _statistic(metric: str, aggregate: Callable[[pl.Expr], pl.Expr]) -> Builder:
    """A builder for rules that compare one numeric statistic of a column with their condition."""

    def build(rule: Rule, scope: Scope) -> LeafPlan:
        column = scope.column(rule.columns[0])
        values = scope.kept(as_number(column, scope.schema[column])).drop_nulls()
        name = scope.metric(f"Column.{rule.columns[0]}.{metric}")
        return LeafPlan(rule, metrics={name: aggregate(values)}, judge=metric_judge(name, rule.condition))

    return build


def _column_correlation(rule: Rule, scope: Scope) -> LeafPlan:
    first, second = (scope.column(c) for c in rule.columns)
    a, b = as_number(first, scope.schema[first]), as_number(second, scope.schema[second])
    both = a.is_not_null() & b.is_not_null()
    name = scope.metric(f"Multicolumn.{rule.columns[0]},{rule.columns[1]}.ColumnCorrelation")
    correlation = pl.corr(scope.kept(a.filter(both)), scope.kept(b.filter(both)))
    return LeafPlan(rule, metrics={name: correlation}, judge=metric_judge(name, rule.condition))


# ------------------------------------------------------------------------ completeness, uniqueness


def _completeness(rule: Rule, scope: Scope) -> LeafPlan:
    column = scope.column(rule.columns[0])
    present = pl.col(column).is_not_null()
    name = scope.metric(f"Column.{rule.columns[0]}.Completeness")
    plan = LeafPlan(rule, row=scope.per_row(present), metrics={name: scope.kept(present).mean()})
    if rule.rule_type == "IsComplete":
        plan.judge = _whole(name)
    else:
        plan.judge = metric_judge(name, rule.condition)
    return plan


def _uniqueness(rule: Rule, scope: Scope) -> LeafPlan:
    columns = [scope.column(c) for c in rule.columns]
    if len(columns) > 1:
        return _multi_column_uniqueness(rule, scope, columns)
    column = columns[0]
    x = pl.col(column)
    values = scope.kept(x).drop_nulls()
    singles = values.is_unique().sum()
    row = scope.per_row(pl.when(x.is_null()).then(True).otherwise(scope.group_size(column) == 1))
    if rule.rule_type == "UniqueValueRatio":
        name = scope.metric(f"Column.{rule.columns[0]}.UniqueValueRatio")
        ratio = singles / values.n_unique()
    else:
        name = scope.metric(f"Column.{rule.columns[0]}.Uniqueness")
        ratio = singles / values.len()
    judge = _whole(name) if rule.rule_type == "IsUnique" else metric_judge(name, rule.condition)
    return LeafPlan(rule, row=row, metrics={name: ratio}, judge=judge)


def _multi_column_uniqueness(rule: Rule, scope: Scope, columns: list[str]) -> LeafPlan:
    """``IsUnique "a" "b"``, ``Uniqueness "a" "b" > 0.9``: the combination of values is unique. As Deequ
    (and IsPrimaryKey here), rows with no value in any of the columns are left out."""
    some = pl.any_horizontal([pl.col(c).is_not_null() for c in columns])
    keys = scope.kept_if(pl.struct(columns), some)
    name = scope.metric(f"Multicolumn.{','.join(rule.columns)}.Uniqueness")
    row = scope.per_row(pl.when(some).then(scope.group_size(*columns) == 1).otherwise(True))
    judge = _whole(name) if rule.rule_type == "IsUnique" else metric_judge(name, rule.condition)
    return LeafPlan(rule, row=row, metrics={name: keys.is_unique().sum() / keys.len()}, judge=judge)


def _primary_key(rule: Rule, scope: Scope) -> LeafPlan:
    names = rule.columns
    columns = [scope.column(c) for c in names]
    present = [pl.col(c).is_not_null() for c in columns]
    metrics = {
        scope.metric(f"Column.{n}.Completeness"): scope.kept(p).mean() for n, p in zip(names, present, strict=True)
    }
    # As Deequ: uniqueness over the rows where at least one key column has a value.
    keys = scope.kept_if(pl.struct(columns), pl.any_horizontal(present))
    single = len(names) == 1
    uniqueness = f"Column.{names[0]}.Uniqueness" if single else f"Multicolumn.{','.join(names)}.Uniqueness"
    metrics[scope.metric(uniqueness)] = keys.is_unique().sum() / keys.len()
    row = scope.per_row(pl.all_horizontal(present) & (scope.group_size(*columns) == 1))
    judges = [_whole(name) for name in metrics]

    def judge(values: Values) -> str | None:
        return next((reason for j in judges if (reason := j(values)) is not None), None)

    return LeafPlan(rule, row=row, metrics=metrics, judge=judge)


def _whole(name: str) -> Callable[[Values], str | None]:
    """Pass when the share ``name`` is 1.0 (or when there are no rows to measure)."""

    def judge(values: Values) -> str | None:
        value = values.get(name)
        if value is None or math.isnan(value) or value >= 1.0:
            return None
        return f"Value: {value:.10g} does not meet the constraint requirement!"

    return judge


def _distinct_values_count(rule: Rule, scope: Scope) -> LeafPlan:
    column = scope.column(rule.columns[0])
    name = scope.metric(f"Column.{rule.columns[0]}.DistinctValuesCount")
    count = scope.kept(pl.col(column)).drop_nulls().n_unique()
    return LeafPlan(rule, metrics={name: count}, judge=metric_judge(name, rule.condition))


def _entropy_rule(rule: Rule, scope: Scope) -> LeafPlan:
    column = scope.column(rule.columns[0])
    name = scope.metric(f"Column.{rule.columns[0]}.Entropy")
    # value_counts, not unique_counts: Polars' streaming engine lowers unique_counts by zipping the
    # values with a row index of the whole frame, which fails ("zip node received non-equal length
    # inputs") once nulls or a where clause have removed rows. Entropy does not need first-seen order.
    counts = scope.kept(pl.col(column)).drop_nulls().value_counts(name=_COUNT).struct.field(_COUNT)
    return LeafPlan(rule, metrics={name: counts.entropy(base=math.e)}, judge=metric_judge(name, rule.condition))


def _detect_anomalies(rule: Rule, scope: Scope) -> LeafPlan:
    """The metric of the rule type it names, judged against its history (``history_rules.anomaly_plan``)."""
    return anomaly_plan(rule, scope, lambda target, same: BUILDERS[target.rule_type](target, same), scope.history)


BUILDERS: dict[str, Builder] = {
    "RowCount": _row_count,
    "ColumnCount": _column_count,
    "ColumnExists": _column_exists,
    "ColumnNamesMatchPattern": _column_names_match_pattern,
    "IsComplete": _completeness,
    "Completeness": _completeness,
    "IsUnique": _uniqueness,
    "Uniqueness": _uniqueness,
    "UniqueValueRatio": _uniqueness,
    "IsPrimaryKey": _primary_key,
    "Mean": _statistic("Mean", lambda v: v.mean()),
    "Sum": _statistic("Sum", lambda v: v.sum()),
    "StandardDeviation": _statistic("StandardDeviation", lambda v: v.std(ddof=0)),
    "Variance": _statistic("Variance", lambda v: v.var(ddof=0)),
    "ColumnCorrelation": _column_correlation,
    "ColumnValues": rowchecks.column_values,
    "ColumnLength": rowchecks.column_length,
    "ColumnDataType": rowchecks.column_data_type,
    "DataFreshness": rowchecks.data_freshness,
    "CustomSql": rowchecks.custom_sql,
    "DistinctValuesCount": _distinct_values_count,
    "Entropy": _entropy_rule,
    "DetectAnomalies": _detect_anomalies,
}
