"""``Analyzers = [...]``: statistics gathered in the same pass as the rules' measures, reported without a verdict.

Each analyzer is compiled as a rule of its type without a condition (``compile_rule``); its metrics are named as
Glue names them (``Dataset.*.RowCount``, ``Column.genre.Completeness``), so they can seed thresholds and history.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from quality_movies.dqdl.plan import LeafPlan

_OWNER = "analyzer"  # the owner of an analyzer's aggregates in the one select: analyzer<index>\x1f<metric>


@dataclass(frozen=True)
class AnalyzerResult:
    """What one ``Analyzers = [...]`` entry measured: metrics, no verdict (``error`` when it cannot be measured)."""

    analyzer: str
    metrics: dict[str, float]
    error: str | None = None


def _problem(plan: LeafPlan) -> str | None:
    return plan.error or ("CustomSql is not gathered as an analyzer here" if plan.queries else None)


def analyzer_aggregates(plans: Sequence[LeafPlan]) -> list[pl.Expr]:
    """The aggregates of every measurable analyzer, named so that ``analyzer_results`` finds them."""
    return [
        expr.alias(f"{_OWNER}{index}\x1f{name}")
        for index, plan in enumerate(plans)
        if _problem(plan) is None
        for name, expr in plan.metrics.items()
    ]


def analyzer_results(plans: Sequence[LeafPlan], row: Mapping[str, object]) -> list[AnalyzerResult]:
    """Each analyzer's metrics from the collected aggregates' ``row`` (a metric that is not a number is left out)."""
    results = []
    for index, plan in enumerate(plans):
        error = _problem(plan)
        values = {} if error else {name: row.get(f"{_OWNER}{index}\x1f{name}") for name in plan.metrics}
        metrics = {name: float(v) for name, v in values.items() if isinstance(v, int | float) and math.isfinite(v)}
        results.append(AnalyzerResult(plan.text, metrics, error))
    return results
