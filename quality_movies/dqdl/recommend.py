"""Recommends a DQDL ruleset from a profile of a frame, in the style of Glue's rule recommendations.

The shapes follow what Glue recommended for the IMDb file (see docs/original-ruleset.md):
``RowCount between n/2 and 2n``; ``IsComplete`` where a column has no nulls, else
``Completeness >= observed``; numbers get ``ColumnValues between`` and ``StandardDeviation between``;
text gets ``ColumnLength between`` (or ``<= max`` when the column has nulls); ``Uniqueness > 0.95``
where that holds; a low-cardinality text column gets ``ColumnValues in [...]``, with a threshold when
its most frequent values do not cover every row. Because ``between`` excludes its bounds, observed
minima and maxima are widened outward. Every recommended rule passes on the profiled frame.
"""

from __future__ import annotations

import math

import polars as pl

from quality_movies.dqdl.plan import as_number

_MAX_LISTED_VALUES = 20
_LISTED_SHARE = 0.9


def recommend(frame: pl.DataFrame | pl.LazyFrame) -> str:
    """A DQDL ruleset that passes on ``frame``, describing its row count, completeness, ranges and values."""
    data = frame.lazy().collect() if isinstance(frame, pl.LazyFrame) else frame
    rows = data.height
    rules = [f"RowCount between {rows // 2} and {rows * 2}"]
    for column in data.columns:
        rules.extend(_column_rules(data, column))
    return "Rules = [\n" + ",\n".join(f"    {rule}" for rule in rules) + "\n]\n"


def _column_rules(data: pl.DataFrame, column: str) -> list[str]:
    series = data[column]
    nulls, rows = series.null_count(), data.height
    present = rows - nulls
    name = _quote(column)
    if present == 0:
        return [f"ColumnExists {name}"]
    rules = [f"IsComplete {name}" if nulls == 0 else f"Completeness {name} >= {_down(present / rows)}"]
    numbers = data.select(as_number(column, series.dtype)).to_series()
    if series.dtype != pl.Boolean and numbers.null_count() == nulls:
        rules += _number_rules(name, numbers.drop_nulls())
    else:
        rules += _text_rules(name, series.cast(pl.String), nulls)
    values = series.drop_nulls()
    singles = values.is_unique().sum()
    if singles / present > 0.95:
        rules.append(f"Uniqueness {name} > 0.95")
    return rules


def _number_rules(name: str, values: pl.Series) -> list[str]:
    low, high = float(values.min()), float(values.max())  # type: ignore[arg-type]
    rules = [f"ColumnValues {name} between {_number(low - 1)} and {_number(high + 1)}"]
    deviation = float(values.std(ddof=0))  # type: ignore[arg-type]
    if values.len() > 1 and deviation > 0:
        lower, upper = math.floor(deviation * 95) / 100, math.ceil(deviation * 105) / 100
        rules.append(f"StandardDeviation {name} between {_number(lower)} and {_number(upper)}")
    return rules


def _text_rules(name: str, text: pl.Series, nulls: int) -> list[str]:
    lengths = text.drop_nulls().str.len_chars()
    shortest, longest = int(lengths.min()), int(lengths.max())  # type: ignore[arg-type]
    if nulls or shortest == 0:
        rules = [f"ColumnLength {name} <= {longest}"]
    else:
        rules = [f"ColumnLength {name} between {shortest - 1} and {longest + 1}"]
    listed = _listed_values(text, nulls)
    if listed:
        rules.append(listed)
    return rules


def _listed_values(text: pl.Series, nulls: int) -> str | None:
    """``ColumnValues in [...]`` for a column of few distinct values, most frequent first."""
    counts = text.drop_nulls().value_counts(sort=True)
    present = text.len() - nulls
    if counts.height > _MAX_LISTED_VALUES or counts.height > 0.1 * present:
        return None
    chosen, covered = [], nulls  # null rows pass an ``in`` rule
    for value, count in counts.iter_rows():
        chosen.append(value)
        covered += count
        if covered / text.len() >= _LISTED_SHARE:
            break
    listing = ",".join(_quote(v) for v in chosen)
    rule = f"ColumnValues {_quote(text.name)} in [{listing}]"
    if len(chosen) < counts.height:
        rule += f" with threshold >= {_down(covered / text.len())}"
    return rule


def _down(share: float) -> str:
    """A share rounded down to two decimals, so that ``>=`` it holds."""
    return _number(math.floor(share * 100) / 100)


def _number(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
