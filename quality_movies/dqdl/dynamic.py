"""Rules judged against the metrics of previous runs: dynamic conditions and anomaly detection.

Dynamic conditions follow AWS's DQDL reference ("Dynamic rules"): ``last(k)`` is the rule's metric in the k
previous evaluations, newest first; ``avg``, ``min``, ``max``, ``sum`` and ``std`` reduce it to one number
(``std`` is the population's, as the StandardDeviation rule here); ``index(last(k), i)`` is its i-th value,
counted from 0 = the newest; numbers and arithmetic combine them (``RowCount > avg(last(10)) * 0.8``). A
condition is resolved to numbers before it is judged, so the comparison is the static rule's own.

With too little history (fewer than k previous values, or none) a dynamic rule cannot be judged: it is
reported in Error with that reason, never passed, and by default stops the file (fail closed).

Nothing here reads storage: a ``MetricHistory`` (``quality_movies.metric_history`` over the lake's
``dq_history``, or ``SeriesHistory`` in memory) answers for the previous values of one metric.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from quality_movies.dqdl.conditions import Unevaluable
from quality_movies.dqdl.model import BinOp, Call, Condition, Num, Operand, Paren

REDUCERS = ("avg", "min", "max", "sum", "std")
DYNAMIC_FUNCTIONS = frozenset({"last", "index", *REDUCERS})

# DetectAnomalies: the robust z-score of Iglewicz and Hoaglin over the latest ANOMALY_WINDOW previous values.
ANOMALY_WINDOW = 10
ANOMALY_MIN_HISTORY = 5
ANOMALY_Z = 3.5
_MAD_TO_Z = 0.6745  # the normal distribution's MAD is 0.6745 standard deviations
_MEAN_AD_TO_Z = 0.7979  # and its mean absolute deviation 0.7979 (sqrt(2/pi))


class MetricHistory(Protocol):
    """The values a metric had in previous evaluations of the same ruleset."""

    def previous(self, metric: str, count: int) -> list[float]:
        """Up to `count` values of `metric`, newest first (the current evaluation excluded)."""
        ...


@dataclass(frozen=True)
class SeriesHistory:
    """A history held in memory: each metric's previous values, newest first."""

    series: Mapping[str, Sequence[float]]

    def previous(self, metric: str, count: int) -> list[float]:
        return [float(v) for v in list(self.series.get(metric, ()))[:count]]


def is_dynamic(condition: Condition | None) -> bool:
    """Whether a condition refers to previous runs (``last``, ``avg(last(k))``, ...)."""
    return condition is not None and any(_has_history(op) for op in condition.values)


def _has_history(operand: Operand) -> bool:
    if isinstance(operand, Call):
        return operand.name in DYNAMIC_FUNCTIONS or any(_has_history(arg) for arg in operand.args)
    if isinstance(operand, Paren):
        return _has_history(operand.inner)
    if isinstance(operand, BinOp):
        return _has_history(operand.left) or _has_history(operand.right)
    return False


def history_needed(condition: Condition) -> int:
    """The most previous values any ``last(k)`` of the condition asks for (what a history must read)."""
    return max((_largest_last(op) for op in condition.values), default=0)


def _largest_last(operand: Operand) -> int:
    if isinstance(operand, Call):
        own = _count(operand) if operand.name == "last" else 0
        return max([own, *(_largest_last(arg) for arg in operand.args)])
    if isinstance(operand, Paren):
        return _largest_last(operand.inner)
    if isinstance(operand, BinOp):
        return max(_largest_last(operand.left), _largest_last(operand.right))
    return 0


def _whole_number(operand: Operand, what: str) -> int:
    if isinstance(operand, Num) and float(operand.value).is_integer():
        return int(operand.value)
    raise Unevaluable(f"{what} must be a whole number, not {operand.render()}")


def _count(call: Call) -> int:
    if len(call.args) != 1:
        raise Unevaluable(f"{call.render()}: last takes one count, as in last(10)")
    count = _whole_number(call.args[0], "last(k)'s k")
    if count < 1:
        raise Unevaluable(f"{call.render()}: last(k) needs k >= 1")
    return count


@dataclass(frozen=True)
class Resolved:
    """A dynamic condition with its history turned into numbers, and what each dynamic operand came to."""

    condition: Condition
    thresholds: dict[str, float]  # by operand text, e.g. {"avg(last(3)) * 0.8": 826.67}


def resolve(condition: Condition, metric: str, history: MetricHistory | None) -> Resolved:
    """The condition with every dynamic operand replaced by its value from `metric`'s history.

    Raises Unevaluable when there is no history or too little of it, naming the operand and what was found.
    """
    reader = _Reader(metric, history, history_needed(condition))
    operands, thresholds = [], {}
    for operand in condition.values:
        if _has_history(operand):
            value = reader.number(operand)
            thresholds[operand.render()] = value
            operands.append(Num(repr(value)))
        else:
            operands.append(operand)
    return Resolved(Condition(condition.op, tuple(operands)), thresholds)


class _Reader:
    """Evaluates dynamic operands of one metric, reading its history once (the largest k the rule needs)."""

    def __init__(self, metric: str, history: MetricHistory | None, needed: int) -> None:
        if history is None:
            raise Unevaluable(f"too little history: judging {metric} needs the results of previous runs, none given")
        self.metric = metric
        self.values = history.previous(metric, needed) if needed else []

    def last(self, call: Call) -> list[float]:
        count = _count(call)
        if len(self.values) < count:
            raise Unevaluable(
                f"too little history for {call.render()}: {self.metric} has {len(self.values)} previous value(s), "
                f"{count} needed"
            )
        return self.values[:count]

    def series(self, operand: Operand) -> list[float]:
        if isinstance(operand, Call) and operand.name == "last":
            return self.last(operand)
        raise Unevaluable(f"{operand.render()} is not last(k): avg, min, max, sum, std and index take last(k)")

    def number(self, operand: Operand) -> float:
        if isinstance(operand, Num):
            return operand.value
        if isinstance(operand, Paren):
            return self.number(operand.inner)
        if isinstance(operand, BinOp):
            return _arithmetic(operand, self.number(operand.left), self.number(operand.right))
        if isinstance(operand, Call):
            return self.call(operand)
        raise Unevaluable(f"{operand.render()} is not a number")

    def call(self, call: Call) -> float:
        if call.name == "last":
            values = self.last(call)
            if len(values) != 1:
                raise Unevaluable(f"{call.render()} is {len(values)} values: reduce it with avg, min, max, sum, std")
            return values[0]
        if call.name == "index":
            if len(call.args) != 2:
                raise Unevaluable(f"{call.render()}: index takes last(k) and a position, as in index(last(3), 0)")
            values, position = self.series(call.args[0]), _whole_number(call.args[1], "index's position")
            if not 0 <= position < len(values):
                raise Unevaluable(f"{call.render()}: position {position} is outside last({len(values)}) (0 is newest)")
            return values[position]
        if call.name in REDUCERS:
            if len(call.args) != 1:
                raise Unevaluable(f"{call.render()}: {call.name} takes one last(k)")
            return reduce_series(call.name, self.series(call.args[0]))
        raise Unevaluable(f"{call.render()} is not a function of previous runs")


def reduce_series(name: str, values: Sequence[float]) -> float:
    """``avg``, ``min``, ``max``, ``sum`` or ``std`` (population) of a non-empty series."""
    reducers = {
        "avg": statistics.fmean,
        "min": min,
        "max": max,
        "sum": math.fsum,
        "std": statistics.pstdev,
    }
    return float(reducers[name](values))


def _arithmetic(operand: BinOp, left: float, right: float) -> float:
    if operand.op == "/":
        if right == 0:
            raise Unevaluable(f"division by zero in {operand.render()}")
        return left / right
    return {"+": left + right, "-": left - right, "*": left * right}[operand.op]


# ---------------------------------------------------------------------------------------- anomalies


@dataclass(frozen=True)
class AnomalyCheck:
    """One value judged against the history of its metric by the robust z-score."""

    value: float
    median: float
    scale: float  # the robust standard deviation: MAD / 0.6745 (or the mean absolute deviation / 0.7979)
    lower: float  # the expected range: values whose |z| <= ANOMALY_Z
    upper: float
    z: float

    @property
    def anomalous(self) -> bool:
        return abs(self.z) > ANOMALY_Z


def robust_z(value: float, previous: Sequence[float]) -> AnomalyCheck:
    """How far `value` lies from the previous values, in robust standard deviations (Iglewicz-Hoaglin).

    The modified z-score M = 0.6745 (x - median) / MAD uses the median and the median absolute deviation
    (MAD) of the history, so one earlier outlier moves neither (a mean and standard deviation would be
    dragged by it and hide the next one); |M| > 3.5 is Iglewicz and Hoaglin's recommended cut-off for an
    outlier. It needs no distribution fit or training, works from a handful of values and is explained by
    three numbers (median, scale, expected range). When more than half the history is one value (MAD = 0),
    the mean absolute deviation / 0.7979 is the scale instead; when every previous value is the same, any
    other value is anomalous (z = +-inf) and that same value is not.
    """
    center = statistics.median(previous)
    deviations = [abs(v - center) for v in previous]
    mad = statistics.median(deviations)
    scale = mad / _MAD_TO_Z if mad else statistics.fmean(deviations) / _MEAN_AD_TO_Z
    z = (value - center) / scale if scale else _unscaled(value - center)
    return AnomalyCheck(value, center, scale, center - ANOMALY_Z * scale, center + ANOMALY_Z * scale, z)


def _unscaled(distance: float) -> float:
    """The z-score against a history of one repeated value: 0 for that value, infinite for any other."""
    return math.copysign(math.inf, distance) if distance else 0.0


def detect_anomaly(metric: str, value: float, history: MetricHistory | None) -> AnomalyCheck:
    """The robust z-score of `value` over `metric`'s latest ANOMALY_WINDOW previous values.

    Raises Unevaluable with fewer than ANOMALY_MIN_HISTORY previous values (too little history to judge).
    """
    if history is None:
        raise Unevaluable(f"too little history: detecting anomalies in {metric} needs the results of previous runs")
    previous = history.previous(metric, ANOMALY_WINDOW)
    if len(previous) < ANOMALY_MIN_HISTORY:
        raise Unevaluable(
            f"too little history to detect anomalies in {metric}: {len(previous)} previous value(s), "
            f"at least {ANOMALY_MIN_HISTORY} needed"
        )
    return robust_z(value, previous)
