"""Whether a parsed condition is written with the operands its rule type compares (the reference grammar's
``numberBasedCondition``, ``stringBasedCondition``, ``dateBasedCondition``, ``durationBasedCondition`` and
``sizeBasedCondition``): returns what is wrong, or None.

Dates are ``"2024-01-31"``, ``now()`` or ``(now() - 3 days)``: the arithmetic on ``now()`` must be in
parentheses, and a duration stands alone only where durations are compared (DataFreshness). A list holds
values of one kind: numbers, or strings, or dates; ``NULL`` fits any of them.
"""

from __future__ import annotations

import re

from quality_movies.dqdl.catalogue import ValueKind
from quality_movies.dqdl.model import BinOp, Call, Condition, Keyword, Num, Operand, Paren, Quantity, Str, VarRef

DURATION_UNITS = frozenset({"days", "hours", "minutes"})
SIZE_UNITS = frozenset({"B", "KB", "MB", "GB", "TB"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TEXT_OPS = {"=", "!=", "in", "not in", "matches", "not matches"}


def kind_problem(cond: Condition, kind: ValueKind) -> str | None:
    """What is wrong with ``cond`` for a rule comparing values of ``kind``, or None."""
    kinds = [_kind_of(op) for op in cond.values if not _is_null(op)]
    if None in kinds:
        bad = next(op for op in cond.values if not _is_null(op) and _kind_of(op) is None)
        return f"{bad.render()} is not a value DQDL compares (date arithmetic needs parentheses: (now() - 3 days))"
    found = set(kinds)
    if cond.op in ("matches", "not matches"):
        return None if kind in (ValueKind.VALUES, ValueKind.TEXT) else f"'{cond.op}' compares text"
    allowed = _ALLOWED[kind]
    if not found <= allowed:
        return f"expected {kind.value} values, found {', '.join(sorted(k for k in found - allowed))}"
    if kind is ValueKind.TEXT and cond.op not in _TEXT_OPS:
        return f"'{cond.op}' does not compare text"
    if kind is ValueKind.VALUES and len(_families(found)) > 1:
        return "a condition's values must be all numbers, all strings or all dates"
    return None


def _is_null(operand: Operand) -> bool:
    return isinstance(operand, Keyword) and operand.name == "NULL"


def _kind_of(operand: Operand) -> str | None:
    """'number', 'text', 'date', 'datetext' (a quoted date, also text), 'duration', 'size' or None."""
    if isinstance(operand, Str):
        return "datetext" if _DATE.match(operand.value) else "text"
    if isinstance(operand, Keyword):
        return "text"
    if isinstance(operand, Quantity):
        return "duration" if operand.unit in DURATION_UNITS else "size"
    if isinstance(operand, Call) and operand.name == "now":
        return "date" if not operand.args else None
    if isinstance(operand, Paren) and isinstance(operand.inner, BinOp) and _is_now_shift(operand.inner):
        return "date"
    return "number" if _is_number(operand) else None


def _is_now_shift(op: BinOp) -> bool:
    return (
        isinstance(op.left, Call)
        and op.left.name == "now"
        and not op.left.args
        and op.op in "+-"
        and isinstance(op.right, Quantity)
        and op.right.unit in DURATION_UNITS
    )


def _is_number(operand: Operand) -> bool:
    if isinstance(operand, Num):
        return True
    if isinstance(operand, Paren):
        return _is_number(operand.inner)
    if isinstance(operand, BinOp):
        return _is_number(operand.left) and _is_number(operand.right)
    if isinstance(operand, Call):  # dynamic rules: avg(last(10)), percentile(1,2,3)
        return operand.name != "now" and all(_is_number(arg) for arg in operand.args)
    return isinstance(operand, VarRef)


def _families(kinds: set[str]) -> set[str]:
    """The kinds of value a ColumnValues list mixes; a quoted date goes with the strings or with the dates."""
    families = {"number" if k == "number" else "date" if k == "date" else "text" for k in kinds}
    if "date" in families and kinds <= {"date", "datetext"}:
        return {"date"}
    return families


_ALLOWED: dict[ValueKind, set[str]] = {
    ValueKind.NUMBER: {"number"},
    ValueKind.VALUES: {"number", "text", "datetext", "date"},
    ValueKind.TEXT: {"text", "datetext"},
    ValueKind.DURATION: {"duration"},
    ValueKind.DATE: {"date", "datetext"},
    ValueKind.SIZE: {"size"},
}
