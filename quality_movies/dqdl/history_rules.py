"""Plans for rules judged against previous runs: a dynamic condition, and ``DetectAnomalies``.

Both measure the current data exactly as the static rule does (the same Polars aggregate in the same pass);
only the judge differs, and it reads the history (``dynamic.MetricHistory``) only when it runs, for the rule's
own metrics. DetectAnomalies on ColumnLength and ColumnValues, which have no condition to build their rules'
measures from here, measures the ranges those rules report (``RANGE_TARGETS``). What the judge derived from the
history (the dynamic threshold; the expected range and robust z-score) is reported among the rule's metrics, so
it is kept in the metrics history and shown in the checks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import polars as pl

from quality_movies.dqdl.conditions import Unevaluable
from quality_movies.dqdl.dynamic import ANOMALY_Z, AnomalyCheck, MetricHistory, detect_anomaly, resolve
from quality_movies.dqdl.model import Rule
from quality_movies.dqdl.plan import LeafPlan, Scope, Values, metric_judge, show
from quality_movies.dqdl.rowchecks import length_range, value_range

# The rules DetectAnomalies takes (AWS's DetectAnomalies reference) that measure one number here.
ANOMALY_TARGETS = frozenset(
    {
        "RowCount",
        "ColumnCount",
        "Completeness",
        "Uniqueness",
        "UniqueValueRatio",
        "Mean",
        "Sum",
        "StandardDeviation",
        "Entropy",
        "DistinctValuesCount",
        "ColumnCorrelation",
        "CustomSql",
    }
)
# The two it takes that judge each value against their condition, and DetectAnomalies gives none: the metrics
# their rules report are measured without it, two each, and each is judged on its own (AWS names no metric here).
RANGE_TARGETS: dict[str, Callable[[Rule, Scope], dict[str, pl.Expr]]] = {
    "ColumnLength": length_range,  # Column.<c>.MinimumLength, .MaximumLength
    "ColumnValues": value_range,  # Column.<c>.Minimum, .Maximum (numbers)
}


def _measured(name: str, values: Values) -> float:
    value = values.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise Unevaluable(f"{name} could not be computed (no non-null values)")
    return float(value)


def _single_metric(plan: LeafPlan, what: str) -> str:
    names = [*plan.metrics, *plan.queries]
    if len(names) != 1:
        raise Unevaluable(f"{what} applies to rules measuring one number; {plan.text} measures {len(names)}")
    return names[0]


def dynamic_plan(plan: LeafPlan, history: MetricHistory | None) -> LeafPlan:
    """`plan` judged with its dynamic condition resolved from the history of its metric.

    The resolved threshold is reported as ``<metric>.Dynamic[<operand>]``; too little history is an Error.
    """
    name = _single_metric(plan, "a dynamic condition")
    condition = plan.rule.condition

    def judge(values: Values) -> str | None:
        _measured(name, values)  # no value, no judgement: an Error before the history is read
        resolved = resolve(condition, name, history)
        plan.derived = {f"{name}.Dynamic[{text}]": number for text, number in resolved.thresholds.items()}
        reason = metric_judge(name, resolved.condition)(values)
        if reason is None:
            return None
        thresholds = ", ".join(f"{text} = {number:.6g}" for text, number in resolved.thresholds.items())
        return f"{reason} ({condition.render()}, where {thresholds})"

    plan.judge = judge
    return plan


def _anomaly_measures(rule: Rule, scope: Scope, build: Callable[[Rule, Scope], LeafPlan]) -> LeafPlan:
    """A plan measuring what DetectAnomalies judges: the target rule's metrics, not yet judged."""
    target, *parameters = rule.parameters
    measured_rule = Rule(target.value, tuple(parameters))
    if target.value in RANGE_TARGETS:
        if len(parameters) != 1:
            raise Unevaluable(f'DetectAnomalies "{target.value}" takes one column')
        return LeafPlan(rule, metrics=RANGE_TARGETS[target.value](measured_rule, scope))
    if target.value not in ANOMALY_TARGETS:
        wanted = ", ".join(sorted(ANOMALY_TARGETS | RANGE_TARGETS.keys()))
        raise Unevaluable(f"DetectAnomalies here takes one of {wanted}, not {target.value!r}")
    measured = build(measured_rule, scope)
    plan = LeafPlan(rule, metrics=measured.metrics, extra=measured.extra, queries=measured.queries)
    _single_metric(plan, "DetectAnomalies")
    return plan


def _anomaly_reason(name: str, check: AnomalyCheck) -> str:
    return (
        f"Anomaly: {name} {show(check.value)} is outside the expected range {check.lower:.6g} to "
        f"{check.upper:.6g} (robust z-score {check.z:.3g}, |z| > {ANOMALY_Z}; median {check.median:.6g} "
        f"of the previous runs)"
    )


def anomaly_plan(rule: Rule, scope: Scope, build: Callable[[Rule, Scope], LeafPlan], history: MetricHistory | None):
    """``DetectAnomalies "<RuleType>" <parameters>``: the target rule's metric, judged by its robust z-score
    over the previous runs (``dynamic.robust_z``); fails when |z| > 3.5, Error with too little history.

    ColumnLength and ColumnValues measure two metrics (``RANGE_TARGETS``): each is judged against its own history,
    the rule fails if either is anomalous and is in Error if either cannot be judged. Reports each metric, its
    expected range (``<metric>.LowerBound``/``.UpperBound``) and ``<metric>.RobustZScore``.
    """
    plan = _anomaly_measures(rule, scope, build)
    names = [*plan.metrics, *plan.queries]

    def judge(values: Values) -> str | None:
        checks = {name: detect_anomaly(name, _measured(name, values), history) for name in names}
        plan.derived = {}
        for name, check in checks.items():
            plan.derived |= {
                f"{name}.LowerBound": check.lower,
                f"{name}.UpperBound": check.upper,
                f"{name}.RobustZScore": check.z,
            }
        reasons = [_anomaly_reason(name, check) for name, check in checks.items() if check.anomalous]
        return "; ".join(reasons) or None

    plan.judge = judge
    return plan
