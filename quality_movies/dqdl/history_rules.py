"""Plans for rules judged against previous runs: a dynamic condition, and ``DetectAnomalies``.

Both measure the current data exactly as the static rule does (the same Polars aggregate in the same pass);
only the judge differs, and it reads the history (``dynamic.MetricHistory``) only when it runs, for the rule's
own metric. What the judge derived from the history (the dynamic threshold; the expected range and robust
z-score) is reported among the rule's metrics, so it is kept in the metrics history and shown in the checks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from quality_movies.dqdl.conditions import Unevaluable
from quality_movies.dqdl.dynamic import ANOMALY_Z, MetricHistory, detect_anomaly, resolve
from quality_movies.dqdl.model import Rule
from quality_movies.dqdl.plan import LeafPlan, Scope, Values, metric_judge, show

# The rules DetectAnomalies takes (AWS's DetectAnomalies reference) that measure one number without a condition
# here; ColumnLength and ColumnValues build their measures from their condition, so they are not among them.
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


def anomaly_plan(rule: Rule, scope: Scope, build: Callable[[Rule, Scope], LeafPlan], history: MetricHistory | None):
    """``DetectAnomalies "<RuleType>" <parameters>``: the target rule's metric, judged by its robust z-score
    over the previous runs (``dynamic.robust_z``); fails when |z| > 3.5, Error with too little history.

    Reports the metric, its expected range (``<metric>.LowerBound``/``.UpperBound``) and ``<metric>.RobustZScore``.
    """
    target, *parameters = rule.parameters
    if target.value not in ANOMALY_TARGETS:
        wanted = ", ".join(sorted(ANOMALY_TARGETS))
        raise Unevaluable(f"DetectAnomalies here takes one of {wanted}, not {target.value!r}")
    measured = build(Rule(target.value, tuple(parameters)), scope)
    plan = LeafPlan(rule, metrics=measured.metrics, extra=measured.extra, queries=measured.queries)
    name = _single_metric(plan, "DetectAnomalies")

    def judge(values: Values) -> str | None:
        check = detect_anomaly(name, _measured(name, values), history)
        plan.derived = {
            f"{name}.LowerBound": check.lower,
            f"{name}.UpperBound": check.upper,
            f"{name}.RobustZScore": check.z,
        }
        if not check.anomalous:
            return None
        return (
            f"Anomaly: {name} {show(check.value)} is outside the expected range {check.lower:.6g} to "
            f"{check.upper:.6g} (robust z-score {check.z:.3g}, |z| > {ANOMALY_Z}; median {check.median:.6g} "
            f"of the previous runs)"
        )

    plan.judge = judge
    return plan
