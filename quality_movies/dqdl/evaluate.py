"""Evaluates a ruleset on a Polars frame and reports outcomes in Glue's shape.

Per row (appended to the frame): ``DataQualityRulesPass``, ``DataQualityRulesFail``,
``DataQualityRulesSkip`` (lists of rule texts, in ruleset order) and ``DataQualityEvaluationResult``
(``Passed`` unless a rule failed on the row). Per rule: a ``RuleOutcome`` with Glue's outcome,
failure reason, evaluated metrics and the number of rows the rule failed.

All row outcomes are one ``with_columns`` on the lazy frame and all metrics one ``select`` of
aggregates, collected together; only CustomSql statements run as queries of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce

import polars as pl

from quality_movies.dqdl.analyzers import AnalyzerResult, analyzer_aggregates, analyzer_results
from quality_movies.dqdl.catalogue import spec_for
from quality_movies.dqdl.compiler import compile_rule
from quality_movies.dqdl.conditions import Unevaluable
from quality_movies.dqdl.dynamic import MetricHistory
from quality_movies.dqdl.model import AnyRule, Composite, Ruleset
from quality_movies.dqdl.outcome_lists import with_outcome_columns
from quality_movies.dqdl.parser import parse
from quality_movies.dqdl.plan import FAILED_ROWS, PASSED_ROWS, LeafPlan
from quality_movies.dqdl.scores import Outcome, RuleOutcome, ScoredRules

PASS_COLUMN = "DataQualityRulesPass"
FAIL_COLUMN = "DataQualityRulesFail"
SKIP_COLUMN = "DataQualityRulesSkip"
RESULT_COLUMN = "DataQualityEvaluationResult"
OUTCOME_COLUMNS = (PASS_COLUMN, FAIL_COLUMN, SKIP_COLUMN, RESULT_COLUMN)
_HELPER = "__dq_"


@dataclass(frozen=True)
class Evaluation(ScoredRules):
    """Everything an evaluation produced: the annotated rows and one outcome per rule."""

    rows: pl.DataFrame
    rules: list[RuleOutcome]
    analyzers: list[AnalyzerResult] = field(default_factory=list)


@dataclass
class _Node:
    """A top-level rule (or a rule inside a composite) with its plan and its row flag column."""

    rule: AnyRule
    leaf: LeafPlan | None = None
    children: list[_Node] = field(default_factory=list)
    flag: str | None = None  # helper column holding the row outcome
    row: pl.Expr | None = None

    def leaves(self) -> list[_Node]:
        return [self] if self.leaf is not None else [n for c in self.children for n in c.leaves()]


class _Compiled:
    """A ruleset compiled against one frame: lazy row outcomes and lazy metric aggregates."""

    def __init__(
        self,
        ruleset: Ruleset,
        frame: pl.LazyFrame,
        now: datetime,
        carry: Sequence[str],
        history: MetricHistory | None = None,
    ) -> None:
        self.frame = frame
        self.visible = _without_carried(frame, carry)  # what every rule sees, CustomSql's primary included
        self.now = now
        self.history = history
        self._count = 0
        self.top = [self._node(rule) for rule in ruleset.rules]
        self.leaves = [leaf for node in self.top for leaf in node.leaves()]
        # Analyzers: measured in the same pass as the rules, reported without a verdict.
        self.analyzers = [compile_rule(rule, self.visible, now, f"a{i}") for i, rule in enumerate(ruleset.analyzers)]

    def _node(self, rule: AnyRule) -> _Node:
        self._count += 1
        tag = f"{self._count}"
        if not isinstance(rule, Composite):
            plan = compile_rule(rule, self.visible, self.now, tag, self.history)
            node = _Node(rule, leaf=plan)
            if plan.row is not None and plan.error is None:
                node.flag = f"{_HELPER}leaf_{tag}"
                node.row = pl.col(node.flag)
            return node
        node = _Node(rule, children=[self._node(child) for child in rule.rules])
        excluded = any(spec_for(leaf.rule_type).composite_row_excluded for leaf in rule.leaves())
        rows = [child.row for child in node.children]
        if not excluded and all(row is not None for row in rows):
            combine = (lambda a, b: a & b) if rule.op == "and" else (lambda a, b: a | b)
            node.flag = f"{_HELPER}composite_{tag}"
            node.row = reduce(combine, rows)  # type: ignore[arg-type]
        return node

    def flagged(self) -> pl.LazyFrame:
        """The frame with one Boolean helper column per rule that has row outcomes."""
        frame = self.frame
        for leaf in self.leaves:
            if leaf.flag and leaf.leaf.join is not None:
                frame = leaf.leaf.join(frame)
        leaf_flags = [leaf.leaf.row.alias(leaf.flag) for leaf in self.leaves if leaf.flag]
        composite_flags = [n.row.alias(n.flag) for n in self.top if n.flag and n.leaf is None]
        return frame.with_columns(leaf_flags).with_columns(composite_flags)

    def rows(self, flagged: pl.LazyFrame) -> pl.LazyFrame:
        """The input rows with Glue's four outcome columns appended."""
        rules = [(node.rule.render(), pl.col(node.flag) if node.flag else None) for node in self.top]
        original = set(self.frame.collect_schema().names())
        helpers = [c for c in flagged.collect_schema().names() if c not in original and c.startswith(_HELPER)]
        return with_outcome_columns(flagged, rules, OUTCOME_COLUMNS).drop(helpers)

    def metrics(self, flagged: pl.LazyFrame) -> pl.LazyFrame:
        """One row of aggregates: every rule's metrics and its passed/failed row counts."""
        exprs = [pl.len().alias(f"{_HELPER}rows")]
        for index, node in enumerate(self.leaves):
            plan = node.leaf
            if plan.error is None:
                named = {**plan.metrics, **plan.extra}
                exprs += [expr.alias(f"{index}\x1f{name}") for name, expr in named.items()]
        exprs += analyzer_aggregates(self.analyzers)
        flags = dict.fromkeys(node.flag for node in [*self.leaves, *self.top] if node.flag)
        for flag in flags:
            exprs += [
                pl.col(flag).sum().alias(f"{flag}\x1f{PASSED_ROWS}"),
                (~pl.col(flag)).sum().alias(f"{flag}\x1f{FAILED_ROWS}"),
            ]
        return flagged.select(exprs)


def annotate(
    ruleset: Ruleset | str,
    frame: pl.DataFrame | pl.LazyFrame,
    now: datetime | None = None,
    *,
    carry: Sequence[str] = (),
) -> pl.LazyFrame:
    """The frame with Glue's row-level outcome columns appended, lazily (nothing is read yet)."""
    return prepare(ruleset, frame, now, carry=carry).rows


@dataclass(frozen=True)
class Prepared:
    """An evaluation that has not run: the annotated rows and the measurements its verdicts need.

    Collect ``measures`` (with ``pl.collect_all``) and hand them to ``outcomes``; consume ``rows``
    however suits, e.g. streamed into a sink. To keep memory flat on large files, collect them in
    separate passes: a streaming pass that feeds several outputs buffers rows for the slowest one.
    """

    rows: pl.LazyFrame
    measures: list[pl.LazyFrame]
    _compiled: _Compiled
    _queries: list[tuple[int, str]]

    def outcomes(self, measured: list[pl.DataFrame]) -> list[RuleOutcome]:
        """One RuleOutcome per top-level rule, from the collected ``measures`` (same order)."""
        aggregates, *answers = measured
        leaf_values: dict[object, dict[str, object]] = {}
        for key, value in aggregates.row(0, named=True).items():
            if "\x1f" in key:
                owner, name = key.split("\x1f", 1)
                leaf_values.setdefault(int(owner) if owner.isdigit() else owner, {})[name] = value
        for (index, name), answer in zip(self._queries, answers, strict=True):
            leaf_values.setdefault(index, {})[name] = _single_value(answer)
        verdicts = _Verdicts(self._compiled, leaf_values)
        return [verdicts.outcome(node) for node in self._compiled.top]

    def analyzers(self, measured: list[pl.DataFrame]) -> list[AnalyzerResult]:
        """What each analyzer measured, from the same collected ``measures`` as ``outcomes``."""
        return analyzer_results(self._compiled.analyzers, measured[0].row(0, named=True))


def prepare(
    ruleset: Ruleset | str,
    frame: pl.DataFrame | pl.LazyFrame,
    now: datetime | None = None,
    *,
    carry: Sequence[str] = (),
    history: MetricHistory | None = None,
) -> Prepared:
    """Compile the ruleset against the frame without reading it: see ``Prepared``.

    ``carry`` names columns that travel with the rows, unchanged and in place, but that no rule sees:
    no rule resolves them by name, counts them, matches them against a pattern, filters on them in a
    ``where`` clause or finds them in CustomSql's ``primary`` table. ``history`` holds the metrics of
    previous runs for dynamic rules and DetectAnomalies (``dynamic.py``); without it they are in Error.
    """
    compiled = _Compiled(_ruleset(ruleset), frame.lazy(), now or datetime.now(), carry, history)
    flagged = compiled.flagged()
    queries = [
        (i, name, q)
        for i, n in enumerate(compiled.leaves)
        if n.leaf.error is None
        for name, q in n.leaf.queries.items()
    ]
    measures = [compiled.metrics(flagged), *(q for _, _, q in queries)]
    return Prepared(compiled.rows(flagged), measures, compiled, [(i, name) for i, name, _ in queries])


def evaluate(
    ruleset: Ruleset | str,
    frame: pl.DataFrame | pl.LazyFrame,
    now: datetime | None = None,
    *,
    carry: Sequence[str] = (),
    history: MetricHistory | None = None,
) -> Evaluation:
    """Evaluate every rule on the frame: the annotated rows, one RuleOutcome per rule and what the analyzers
    measured (``carry``, ``history``: see ``prepare``)."""
    prepared = prepare(ruleset, frame, now, carry=carry, history=history)
    rows, *measured = pl.collect_all([prepared.rows, *prepared.measures])
    return Evaluation(rows=rows, rules=prepared.outcomes(measured), analyzers=prepared.analyzers(measured))


def _without_carried(frame: pl.LazyFrame, carry: Sequence[str]) -> pl.LazyFrame:
    """The frame as the rules see it: without the carried columns, which must be columns of the frame."""
    if not carry:
        return frame
    names = frame.collect_schema().names()
    unknown = [name for name in carry if name not in names]
    if unknown:
        raise ValueError(f"carry names columns the frame does not have: {unknown}; its columns are {names}")
    return frame.drop(carry)


def _single_value(answer: pl.DataFrame) -> object:
    if answer.shape != (1, 1):
        return Unevaluable(
            f"CustomSql must return a single value, returned {answer.height} row(s) and {answer.width} column(s)"
        )
    value = answer.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return Unevaluable(f"CustomSql must return a number, returned {value!r}")
    return float(value)


class _Verdicts:
    """Turns collected values into RuleOutcomes, composite rules included."""

    def __init__(self, compiled: _Compiled, values: dict[object, dict[str, object]]) -> None:
        self.index = {id(node): i for i, node in enumerate(compiled.leaves)}
        self.values = values

    def outcome(self, node: _Node) -> RuleOutcome:
        verdict, reason = self.verdict(node)
        tally = self.values.get(node.flag, {}) if node.flag else {}
        failing = int(tally.get(FAILED_ROWS) or 0) if node.flag else None
        return RuleOutcome(node.rule.render(), verdict, reason, self.reported(node), failing)

    def own(self, node: _Node) -> dict[str, object]:
        found = dict(self.values.get(self.index[id(node)], {}))
        if node.flag:
            found.update(self.values.get(node.flag, {}))
        return found

    def verdict(self, node: _Node) -> tuple[Outcome, str | None]:
        if node.leaf is not None:
            if node.leaf.error is not None:
                return "Error", node.leaf.error
            values = self.own(node)
            problem = next((v for v in values.values() if isinstance(v, Unevaluable)), None)
            try:
                if problem is not None:
                    raise problem
                reason = node.leaf.judge(values)  # type: ignore[arg-type]
            except Unevaluable as error:
                return "Error", str(error)
            return ("Passed", None) if reason is None else ("Failed", reason)
        results = [self.verdict(child) for child in node.children]
        errors = [reason for outcome, reason in results if outcome == "Error"]
        if errors:
            return "Error", errors[0]
        passed = [outcome == "Passed" for outcome, _ in results]
        if all(passed) if node.rule.op == "and" else any(passed):
            return "Passed", None
        failed = [
            f"({child.rule.render()}) {reason}"
            for child, (outcome, reason) in zip(node.children, results, strict=True)
            if outcome == "Failed"
        ]
        return "Failed", "; ".join(failed)

    def reported(self, node: _Node) -> dict[str, float]:
        if node.leaf is None:
            return {k: v for child in node.children for k, v in self.reported(child).items()}
        plan, values = node.leaf, self.own(node)
        if plan.error is not None:
            return {}
        names = [*plan.metrics, *plan.queries]
        metrics = {name: float(values[name]) for name in names if isinstance(values.get(name), (int, float))}
        if plan.compliance_metric:  # from the row flags, or from the plan's own counts (no row-level results)
            passed, failed = int(values.get(PASSED_ROWS) or 0), int(values.get(FAILED_ROWS) or 0)
            if passed + failed:
                metrics[plan.compliance_metric] = passed / (passed + failed)
        return metrics | plan.derived


def _ruleset(ruleset: Ruleset | str) -> Ruleset:
    return parse(ruleset) if isinstance(ruleset, str) else ruleset
