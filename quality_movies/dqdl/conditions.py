"""What a condition means, as one Polars expression: tested per row, or on a single metric value.

DQDL comparison semantics (awslabs/dqdl ``NumberBasedCondition.evaluate``): ``between`` excludes both
bounds, ``not between`` is its complement, ``=``, ``!=`` and ``in`` compare exactly, as the reference does.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import polars as pl

from quality_movies.dqdl.model import BinOp, Call, Condition, Keyword, Num, Operand, Paren, Quantity, Str

_DATE_TEXT = r"^\d{4}-\d{2}-\d{2}$"
_DURATION_UNITS = {"days": "days", "hours": "hours", "minutes": "minutes"}


class Unevaluable(ValueError):
    """An operand this engine cannot turn into a value (dynamic rules, variables, unknown functions)."""


def number(operand: Operand) -> float:
    """The value of a numeric operand: a literal or arithmetic on literals."""
    if isinstance(operand, Num):
        return operand.value
    if isinstance(operand, Paren):
        return number(operand.inner)
    if isinstance(operand, BinOp):
        left, right = number(operand.left), number(operand.right)
        ops = {"+": left + right, "-": left - right, "*": left * right}
        if operand.op == "/":
            if right == 0:
                raise Unevaluable(f"division by zero in {operand.render()}")
            return left / right
        return ops[operand.op]
    if isinstance(operand, Call) and operand.name in ("last", "avg", "min", "max", "sum", "std", "index"):
        raise Unevaluable(  # resolved by dynamic.resolve on rules judged on one metric; not here
            f"{operand.render()} refers to previous runs: a dynamic condition applies to a rule's one metric "
            "(RowCount, Completeness, Mean, ...), not here"
        )
    raise Unevaluable(f"{operand.render()} is not a number")


def numbers(cond: Condition) -> list[float]:
    """The numeric operands of a condition, NULL keywords left out."""
    return [number(op) for op in cond.values if not isinstance(op, Keyword)]


def satisfies(cond: Condition, value: float) -> bool:
    """Whether a metric value meets a numeric condition: the row test applied to one number."""
    return bool(pl.select(number_test(cond, pl.lit(value, dtype=pl.Float64))).item())


def number_test(cond: Condition, x: pl.Expr) -> pl.Expr:
    """A Boolean expression: does the numeric expression ``x`` meet the condition (null where x is null)."""
    bounds = numbers(cond)
    if cond.op == "between":
        return (x > bounds[0]) & (x < bounds[1])
    if cond.op == "not between":
        return (x <= bounds[0]) | (x >= bounds[1])
    if cond.op in ("in", "not in"):
        found = pl.any_horizontal([x == b for b in bounds]) if bounds else pl.lit(False)
        return found if cond.op == "in" else ~found
    target = bounds[0]
    return {
        ">": x > target,
        ">=": x >= target,
        "<": x < target,
        "<=": x <= target,
        "=": x == target,
        "!=": x != target,
    }[cond.op]


def is_date_condition(cond: Condition) -> bool:
    """Whether a condition compares dates (``"2024-01-31"``, ``now()``, ``(now() - 3 days)``)."""
    return any(_is_date(op) for op in cond.values)


def _is_date(operand: Operand) -> bool:
    if isinstance(operand, Str):
        return re.match(_DATE_TEXT, operand.value) is not None
    if isinstance(operand, Call):
        return operand.name == "now"
    if isinstance(operand, Paren):
        return _is_date(operand.inner)
    if isinstance(operand, BinOp):
        return _is_date(operand.left)
    return False


def moment(operand: Operand, now: datetime) -> datetime:
    """The point in time a date operand denotes."""
    if isinstance(operand, Str):
        return datetime.strptime(operand.value, "%Y-%m-%d")
    if isinstance(operand, Call) and operand.name == "now" and not operand.args:
        return now
    if isinstance(operand, Paren):
        return moment(operand.inner, now)
    if isinstance(operand, BinOp) and operand.op in "+-" and isinstance(operand.right, Quantity):
        shift = duration(operand.right)
        base = moment(operand.left, now)
        return base + shift if operand.op == "+" else base - shift
    raise Unevaluable(f"{operand.render()} is not a date")


def duration(operand: Operand) -> timedelta:
    """The length of a duration operand such as ``24 hours``."""
    if isinstance(operand, Quantity) and operand.unit in _DURATION_UNITS:
        return timedelta(**{_DURATION_UNITS[operand.unit]: float(operand.amount)})
    raise Unevaluable(f"{operand.render()} is not a duration in days, hours or minutes")


def ordered_test(op: str, x: pl.Expr, bounds: list[object]) -> pl.Expr:
    """Comparison of ``x`` (dates or durations) with constant bounds of the same kind."""
    lits = [pl.lit(b) for b in bounds]
    tests = {
        "between": lambda: (x > lits[0]) & (x < lits[1]),
        "not between": lambda: (x <= lits[0]) | (x >= lits[1]),
        ">": lambda: x > lits[0],
        ">=": lambda: x >= lits[0],
        "<": lambda: x < lits[0],
        "<=": lambda: x <= lits[0],
        "=": lambda: x == lits[0],
        "!=": lambda: x != lits[0],
        "in": lambda: pl.any_horizontal([x == lit for lit in lits]),
        "not in": lambda: ~pl.any_horizontal([x == lit for lit in lits]),
    }
    if op not in tests:
        raise Unevaluable(f"'{op}' does not apply to dates or durations")
    return tests[op]()
