"""The rule catalogue is data the engine obeys: every entry has an evaluator (or says why it has none), and the
parser accepts exactly what each entry declares: parameters, condition, ``where``, ``with threshold``, bare
parameters and the Analyzers section; an entry is row-level exactly when its rule reports outcomes per row."""

from __future__ import annotations

import polars as pl
import pytest

from quality_movies import dqdl
from quality_movies.dqdl.catalogue import CATALOGUE, ConditionUse, RuleSpec, ValueKind
from quality_movies.dqdl.compiler import BUILDERS
from quality_movies_tests.dqdl.helpers import NOW

SPECS = list(CATALOGUE.values())
RULE_SPECS = [spec for spec in SPECS if spec.name != "AllStatistics"]
IDS = [spec.name for spec in SPECS]
RULE_IDS = [spec.name for spec in RULE_SPECS]
FRAME = pl.DataFrame({"a": [1, 2, 2], "b": [3, 1, 2], "c": [4, 5, 6]})
_PARAMETER_VALUES = {"CustomSqlStatement": "select a from primary", "MetricParameter": "RowCount"}
_CONDITIONS = {
    ValueKind.NUMBER: "> 0",
    ValueKind.VALUES: "> 0",
    ValueKind.TEXT: '= "INTEGER"',
    ValueKind.DURATION: "<= 3 days",
    ValueKind.DATE: "> (now() - 3 days)",
    ValueKind.SIZE: "> 1 MB",
}


def _parameters(spec: RuleSpec, count: int | None = None, *, quoted: bool = True) -> list[str]:
    """``count`` parameters (default: all declared); bare ones are plain column names, never SQL."""
    names = [*spec.params, *(spec.params[-1:] or ("extra",))] if count and count > len(spec.params) else spec.params
    chosen = names[: len(names) if count is None else count]
    if not quoted:
        return ["abc"[i % 3] for i in range(len(chosen))]
    return [f'"{_PARAMETER_VALUES.get(name, "abc"[i % 3])}"' for i, name in enumerate(chosen)]


def example(spec: RuleSpec, *, condition: bool | None = None, count: int | None = None, quoted: bool = True) -> str:
    """A well-formed rule of the type (with its condition unless it takes none, or as ``condition`` says)."""
    wanted = spec.condition is not ConditionUse.NONE if condition is None else condition
    parts = [spec.name, *_parameters(spec, count, quoted=quoted)]
    if wanted:
        parts.append(_CONDITIONS[spec.kind] if spec.name != "CustomSql" else "> 0")
    return " ".join(parts)


def _parses(rule: str) -> bool:
    try:
        dqdl.parse(f"Rules = [ {rule} ]")
    except dqdl.DqdlSyntaxError:
        return False
    return True


@pytest.mark.parametrize("spec", RULE_SPECS, ids=RULE_IDS)
def test_every_rule_type_parses_as_declared_and_renders_back(spec: RuleSpec) -> None:
    rule = example(spec)
    assert [dqdl.render(r) for r in dqdl.parse(f"Rules = [ {rule} ]").rules] == [rule]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_every_entry_has_an_evaluator_or_says_why_not(spec: RuleSpec) -> None:
    assert (spec.name in BUILDERS) != bool(spec.unsupported), spec.name


def test_every_evaluator_belongs_to_a_catalogue_entry() -> None:
    assert set(BUILDERS) <= set(CATALOGUE)


@pytest.mark.parametrize("spec", RULE_SPECS, ids=RULE_IDS)
def test_parser_allows_where_exactly_where_declared(spec: RuleSpec) -> None:
    assert _parses(f'{example(spec)} where "a > 1"') == spec.where


@pytest.mark.parametrize("spec", RULE_SPECS, ids=RULE_IDS)
def test_parser_allows_a_threshold_exactly_where_declared(spec: RuleSpec) -> None:
    assert _parses(f"{example(spec, condition=spec.condition is not ConditionUse.NONE)} with threshold > 0.5") == (
        spec.threshold
    )


@pytest.mark.parametrize("spec", RULE_SPECS, ids=RULE_IDS)
def test_parser_enforces_the_declared_condition(spec: RuleSpec) -> None:
    complete = len(spec.params)  # with every parameter, a rule taking an optional condition parses without one
    assert _parses(example(spec, condition=False, count=complete)) == (spec.condition is not ConditionUse.REQUIRED)
    assert _parses(example(spec, condition=True, count=complete)) == (spec.condition is not ConditionUse.NONE)


@pytest.mark.parametrize("spec", RULE_SPECS, ids=RULE_IDS)
def test_parser_enforces_the_declared_parameter_count(spec: RuleSpec) -> None:
    if spec.min_params:
        assert not _parses(example(spec, count=spec.min_params - 1))
    assert _parses(example(spec, count=len(spec.params) + 1)) == spec.variadic


@pytest.mark.parametrize("spec", [s for s in RULE_SPECS if s.params], ids=[s.name for s in RULE_SPECS if s.params])
def test_parser_takes_bare_parameters_exactly_where_declared(spec: RuleSpec) -> None:
    assert _parses(example(spec, quoted=False)) == spec.unquoted


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_analyzers_section_takes_exactly_the_declared_analyzers(spec: RuleSpec) -> None:
    text = f"Rules = [ RowCount > 0 ] Analyzers = [ {example(spec, condition=False)} ]"
    try:
        analyzers = dqdl.parse(text).analyzers
    except dqdl.DqdlSyntaxError:
        analyzers = None
    assert (analyzers is not None) == spec.analyzer
    assert analyzers is None or [a.render() for a in analyzers] == [example(spec, condition=False)]


# DetectAnomalies is judged against previous runs (in Error without them): test_dynamic_rules checks it with a history.
EVALUATED = [spec for spec in RULE_SPECS if spec.unsupported is None and spec.name != "DetectAnomalies"]


@pytest.mark.parametrize("spec", EVALUATED, ids=[spec.name for spec in EVALUATED])
def test_a_rule_type_has_row_level_results_exactly_when_declared(spec: RuleSpec) -> None:
    # CustomSql is row-level in its form without a condition (the rows its statement returns pass).
    rule = example(spec, condition=False if spec.name == "CustomSql" else None)
    evaluation = dqdl.evaluate(f"Rules = [ {rule} ]", FRAME, now=NOW)
    (outcome,) = evaluation.rules
    assert outcome.outcome in ("Passed", "Failed"), outcome.failure_reason
    skipped = [rule in skips for skips in evaluation.rows[dqdl.SKIP_COLUMN].to_list()]
    assert (not any(skipped)) == spec.row_level
    assert (outcome.failing_rows is not None) == spec.row_level
