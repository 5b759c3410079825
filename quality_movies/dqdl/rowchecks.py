"""Builders for rules that test every row's value: ColumnValues, ColumnLength, ColumnDataType,
DataFreshness and row-level CustomSql.

Null values, as in the Glue reference run: comparisons that need a value (``between``, ``>``, ``=``,
``matches`` ...) skip null rows; membership and negations (``in``, ``not in``, ``!=``,
``not between``, ``not matches``) pass them, unless the condition names ``NULL`` itself
(``= NULL``, ``in [..., NULL]``, ``not in [..., NULL]``). As in the reference, ColumnLength counts a null
as length 0 and DataFreshness fails a null timestamp. A value that cannot be read as the condition's type
(``"PG"`` against ``between 1900 and 2030``) fails.

Typed columns (bigint, double, boolean, as Glue's crawler types them): numeric conditions compare
numbers; quoted values (``= "15"``, ``in ["true"]``), ``matches`` and ColumnLength use the value's
text form (``15``, ``8.5``, ``true``; unlike Spark, which writes doubles below 10^-3 or from 10^7 up in
E notation, ``1.0E7``, Polars writes ``10000000.0``). Dates are read from text (ISO dates and
timestamps, ``Z`` or an offset converted to UTC, a bare year ``1994`` or month ``1994-07`` as its first
day, as Spark casts them) and from integer columns of years.
"""

from __future__ import annotations

import polars as pl

from quality_movies.dqdl.conditions import (
    Unevaluable,
    duration,
    is_date_condition,
    moment,
    number_test,
    numbers,
    ordered_test,
)
from quality_movies.dqdl.model import Condition, Keyword, Num, Rule, Str
from quality_movies.dqdl.plan import (
    FAILED_ROWS,
    PASSED_ROWS,
    LeafPlan,
    Scope,
    as_number,
    as_text,
    compliance_judge,
    metric_judge,
)
from quality_movies.dqdl.sql import query

_NULL_PASSES = {"in", "not in", "!=", "not between", "not matches"}
_RANGE_OPS = {"between", "not between", ">", ">=", "<", "<=", "="}


def _row(value: pl.Expr, test: pl.Expr, readable: pl.Expr, on_null: bool | None) -> pl.Expr:
    """Outcome per row: ``on_null`` for nulls, failed where the value cannot be read, else ``test``."""
    return pl.when(value.is_null()).then(pl.lit(on_null, dtype=pl.Boolean)).when(~readable).then(False).otherwise(test)


def _null_outcome(cond: Condition) -> bool | None:
    names_null = any(isinstance(op, Keyword) and op.name == "NULL" for op in cond.values)
    if names_null and cond.op in ("=", "in"):
        return True
    if names_null and cond.op in ("!=", "not in"):
        return False
    return True if cond.op in _NULL_PASSES else None


def column_values(rule: Rule, scope: Scope) -> LeafPlan:
    """``ColumnValues "col" <condition>``: every value meets the condition (or a share of them)."""
    cond = rule.condition
    column = scope.column(rule.columns[0])
    dtype = scope.schema[column]
    x = pl.col(column)
    plan = LeafPlan(rule, judge=compliance_judge(rule.threshold))
    plain = [op for op in cond.values if not isinstance(op, Keyword)]
    if cond.op in ("matches", "not matches"):
        test = as_text(column, dtype).str.contains(f"^(?:{cond.values[0].value})$")
        test = test if cond.op == "matches" else ~test
        readable = pl.lit(True)
    elif is_date_condition(cond):
        stamp = _as_datetime(column, dtype)
        test = ordered_test(cond.op, stamp, [moment(op, scope.now) for op in plain])
        readable = stamp.is_not_null()
    elif plain and not any(isinstance(op, Str) for op in plain):
        value = as_number(column, dtype)
        test, readable = number_test(cond, value), value.is_not_null()
        if cond.op in _RANGE_OPS:
            plan.metrics = value_range(rule, scope)
    else:
        test, readable = _text_test(cond, as_text(column, dtype)), pl.lit(True)
    if not plan.metrics:
        plan.compliance_metric = scope.metric(f"Column.{rule.columns[0]}.ColumnValues.Compliance")
    plan.row = scope.per_row(_row(x, test, readable, _null_outcome(cond)))
    return plan


def value_range(rule: Rule, scope: Scope) -> dict[str, pl.Expr]:
    """The smallest and largest value of the rule's column, as numbers (Glue's ``Minimum``, ``Maximum``)."""
    column = scope.column(rule.columns[0])
    value = scope.kept(as_number(column, scope.schema[column]))
    return {
        scope.metric(f"Column.{rule.columns[0]}.Minimum"): value.min(),
        scope.metric(f"Column.{rule.columns[0]}.Maximum"): value.max(),
    }


def _text_test(cond: Condition, text: pl.Expr) -> pl.Expr:
    """Equality and membership of text values, with the EMPTY and WHITESPACES_ONLY keywords."""
    if cond.op not in ("=", "!=", "in", "not in"):
        raise Unevaluable(f"'{cond.op}' compares numbers or dates, not text values")
    wanted = [op.value if isinstance(op, Str) else op.text for op in cond.values if isinstance(op, (Str, Num))]
    keywords = {op.name for op in cond.values if isinstance(op, Keyword)}
    found = text.is_in(wanted) if wanted else pl.lit(False)
    if "EMPTY" in keywords:
        found = found | (text == "")
    if "WHITESPACES_ONLY" in keywords:
        found = found | ((text.str.len_chars() > 0) & (text.str.strip_chars() == ""))
    return found if cond.op in ("=", "in") else ~found


def column_length(rule: Rule, scope: Scope) -> LeafPlan:
    """``ColumnLength "col" <condition>``: the length of every value meets the condition; a null has length 0,
    as in the reference (``ColumnLength "c" > 0`` fails null rows)."""
    test = number_test(rule.condition, _length(rule, scope).cast(pl.Float64))
    return LeafPlan(
        rule, row=scope.per_row(test), metrics=length_range(rule, scope), judge=compliance_judge(rule.threshold)
    )


def _length(rule: Rule, scope: Scope) -> pl.Expr:
    column = scope.column(rule.columns[0])
    return as_text(column, scope.schema[column]).str.len_chars().fill_null(0)


def length_range(rule: Rule, scope: Scope) -> dict[str, pl.Expr]:
    """The shortest and longest value of the rule's column (Glue's ``MinimumLength``, ``MaximumLength``)."""
    length = scope.kept(_length(rule, scope))
    return {
        scope.metric(f"Column.{rule.columns[0]}.MinimumLength"): length.min(),
        scope.metric(f"Column.{rule.columns[0]}.MaximumLength"): length.max(),
    }


_LAYOUTS = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d")
_ZONED_LAYOUTS = ("%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%:z")
_PARTIAL_LAYOUTS = ("%Y-%m", "%Y")  # Spark casts "1994" and "1994-07" to their first day
_TYPE_NAMES = {"BOOLEAN", "DATE", "TIMESTAMP", "INTEGER", "DOUBLE", "FLOAT", "LONG"}


def column_data_type(rule: Rule, scope: Scope) -> LeafPlan:
    """``ColumnDataType "col" = "INTEGER"``: every value is (or reads as) one of the named types."""
    cond = rule.condition
    if cond.op not in ("=", "in", "!=", "not in") or not all(isinstance(op, Str) for op in cond.values):
        raise Unevaluable('ColumnDataType takes = "TYPE" or in ["TYPE", ...]')
    wanted = {op.value.upper() for op in cond.values}
    unknown = wanted - _TYPE_NAMES
    if unknown:
        raise Unevaluable(f"unknown data type(s) {sorted(unknown)}; use one of {sorted(_TYPE_NAMES)}")
    column = scope.column(rule.columns[0])
    dtype = scope.schema[column]
    test = pl.any_horizontal([_reads_as(name, column, dtype) for name in sorted(wanted)])
    test = test if cond.op in ("=", "in") else ~test
    # No row-level outcome (the reference has none for ColumnDataType): the share of fitting non-null
    # values is the verdict, and no single row is quarantined for it.
    present = scope.kept(test.filter(pl.col(column).is_not_null()))
    return LeafPlan(
        rule,
        extra={PASSED_ROWS: present.sum(), FAILED_ROWS: (~present).sum()},
        compliance_metric=scope.metric(f"Column.{rule.columns[0]}.ColumnDataType.Compliance"),
        judge=compliance_judge(rule.threshold),
    )


def _reads_as(type_name: str, column: str, dtype: pl.DataType) -> pl.Expr:
    """Whether each value can be cast to a DQDL data type without losing anything (Glue: "can be cast in
    Spark to the provided type"): text by parsing it, numbers by their value, booleans and dates by type."""
    if dtype == pl.String:
        return _text_reads_as(type_name, pl.col(column).str.strip_chars())
    if dtype.is_numeric():
        return _number_reads_as(type_name, pl.col(column))
    matching = {
        "BOOLEAN": dtype == pl.Boolean,
        "DATE": dtype == pl.Date,
        "TIMESTAMP": dtype == pl.Date or isinstance(dtype, pl.Datetime),
    }
    return pl.lit(matching.get(type_name, False))


def _text_reads_as(type_name: str, text: pl.Expr) -> pl.Expr:
    readers = {
        "BOOLEAN": lambda: text.str.to_lowercase().is_in(["true", "false"]),
        "DATE": lambda: text.str.to_date("%Y-%m-%d", strict=False).is_not_null(),
        "TIMESTAMP": lambda: _timestamp(text).is_not_null(),
        "INTEGER": lambda: text.cast(pl.Int32, strict=False).is_not_null(),
        "LONG": lambda: text.cast(pl.Int64, strict=False).is_not_null(),
        "DOUBLE": lambda: text.cast(pl.Float64, strict=False).is_not_null(),
        "FLOAT": lambda: text.cast(pl.Float32, strict=False).is_not_null(),
    }
    return readers[type_name]()


def _number_reads_as(type_name: str, x: pl.Expr) -> pl.Expr:
    """A number is a DOUBLE and a FLOAT; an INTEGER (LONG) when it is whole and fits in 32 (64) bits,
    so that a column crawled as bigint is integral, as the same digits crawled as text would be."""
    if type_name in ("DOUBLE", "FLOAT"):
        return pl.lit(True)
    if type_name in ("INTEGER", "LONG"):
        whole = x.cast(pl.Int32 if type_name == "INTEGER" else pl.Int64, strict=False)
        return (whole == x).fill_null(False)
    return pl.lit(False)


def _as_datetime(column: str, dtype: pl.DataType) -> pl.Expr:
    x = pl.col(column)
    if isinstance(dtype, pl.Datetime):
        return x.dt.replace_time_zone(None) if dtype.time_zone else x
    if dtype == pl.Date:
        return x.cast(pl.Datetime)
    if dtype == pl.String:
        return _moment(x.str.strip_chars())
    if dtype.is_integer():  # a column of years, crawled as bigint
        return _moment(x.cast(pl.String))
    raise Unevaluable(f'Column "{column}" holds {dtype}, not dates')


def _moment(text: pl.Expr) -> pl.Expr:
    """Text read as a point in time for date conditions: what ``_timestamp`` reads, ISO timestamps with ``Z``
    or an offset (converted to UTC, the clock ``now()`` is compared in), and bare years and months."""
    utc = text.str.replace(r"[Zz]$", "+00:00")
    zoned = [
        utc.str.to_datetime(layout, strict=False, time_unit="us").dt.replace_time_zone(None)
        for layout in _ZONED_LAYOUTS
    ]
    partial = [text.str.to_datetime(layout, strict=False, time_unit="us") for layout in _PARTIAL_LAYOUTS]
    return pl.coalesce([_timestamp(text), *zoned, *partial])


def _timestamp(text: pl.Expr) -> pl.Expr:
    """Text read as a timestamp in the layouts Spark casts (date, date and time, ``T`` or space between).

    Explicit formats, not Polars' inference: inference guesses one layout from the first value it sees,
    so a first value it cannot place raises, and the streaming engine guesses anew for each batch."""
    return pl.coalesce([text.str.to_datetime(layout, strict=False, time_unit="us") for layout in _LAYOUTS])


def data_freshness(rule: Rule, scope: Scope) -> LeafPlan:
    """``DataFreshness "col" <= 24 hours``: how long ago each row's timestamp is; a null fails, as in the
    reference."""
    column = scope.column(rule.columns[0])
    stamp = _as_datetime(column, scope.schema[column])
    age = pl.lit(scope.now) - stamp
    test = ordered_test(rule.condition.op, age, [duration(op) for op in rule.condition.values])
    return LeafPlan(
        rule,
        row=scope.per_row(_row(pl.col(column), test, stamp.is_not_null(), False)),
        judge=compliance_judge(rule.threshold),
    )


def custom_sql(rule: Rule, scope: Scope) -> LeafPlan:
    """``CustomSql "select ..." <condition>`` compares one value; without a condition it is row-level:
    the rows the statement returns pass, the others fail."""
    statement = rule.columns[0]
    result = query(statement, scope.frame)
    if rule.condition is not None:
        numbers(rule.condition)  # fail now, not at judging time, on dynamic operands
        name = "Dataset.*.CustomSQL"
        return LeafPlan(rule, queries={name: result}, judge=metric_judge(name, rule.condition))
    returned = result.collect_schema().names()
    missing = [c for c in returned if c not in scope.schema.names()]
    if missing:
        raise Unevaluable(f"row-level CustomSql must return columns of the data; {missing} are not")
    marker = f"__dq_sql_{scope.tag}"

    def join(frame: pl.LazyFrame) -> pl.LazyFrame:
        hits = result.unique().with_columns(pl.lit(True).alias(marker))
        joined = frame.join(hits, on=returned, how="left", nulls_equal=True, maintain_order="left")
        return joined.with_columns(pl.col(marker).fill_null(False))

    return LeafPlan(
        rule,
        row=pl.col(marker),
        join=join,
        compliance_metric="Dataset.*.CustomSQL.Compliance",
        judge=compliance_judge(rule.threshold),
    )
