"""The reference parser's own test cases (awslabs/dqdl), copied into ``data/dqdl_reference``: every valid rule
parses and renders back exactly as written, every invalid ruleset is rejected with a DqdlSyntaxError, and the
whole-ruleset cases (sections, analyzers, constants) parse to the rules, analyzers and text the reference gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quality_movies import dqdl
from quality_movies_tests.data_files import TEST_DATA

REFERENCE = TEST_DATA / "dqdl_reference"


def _cases(path: Path) -> list[str]:
    """The non-comment lines of a case file; ``<EMPTY>`` stands for the empty ruleset."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return ["" if line == "<EMPTY>" else line for line in lines if line and not line.startswith("#")]


VALID = _cases(REFERENCE / "valid_rules.txt")
INVALID = _cases(REFERENCE / "invalid_rulesets.txt")
RULESETS = json.loads((REFERENCE / "rulesets.json").read_text(encoding="utf-8"))["cases"]


def _round_trips(rule: str) -> bool:
    try:
        ruleset = dqdl.parse(f"Rules = [ {rule} ]")
    except dqdl.DqdlSyntaxError:
        return False
    return [dqdl.render(r) for r in ruleset.rules] == [rule]


def _rejected(text: str) -> bool:
    try:
        dqdl.parse(text)
    except dqdl.DqdlSyntaxError:
        return True
    return False


def test_case_files_hold_every_reference_case() -> None:
    assert (len(VALID), len(INVALID), len(RULESETS)) == (156, 97, 51)


@pytest.mark.parametrize("rule", VALID, ids=[f"valid{i}" for i in range(len(VALID))])
def test_valid_reference_rule_parses_and_renders_back_identically(rule: str) -> None:
    ruleset = dqdl.parse(f"Rules = [ {rule} ]")
    assert [dqdl.render(r) for r in ruleset.rules] == [rule]


@pytest.mark.parametrize("text", INVALID, ids=[f"invalid{i}" for i in range(len(INVALID))])
def test_invalid_reference_ruleset_is_rejected(text: str) -> None:
    with pytest.raises(dqdl.DqdlSyntaxError):
        dqdl.parse(text)


@pytest.mark.parametrize("case", RULESETS, ids=[f"{c['test']}-{i}" for i, c in enumerate(RULESETS)])
def test_reference_ruleset_case(case: dict) -> None:
    if case.get("invalid"):
        with pytest.raises(dqdl.DqdlSyntaxError):
            dqdl.parse(case["text"])
        return
    ruleset = dqdl.parse(case["text"])
    if "rules" in case:
        assert [dqdl.render(r) for r in ruleset.rules] == case["rules"]
    if "analyzers" in case:
        assert [a.render() for a in ruleset.analyzers] == case["analyzers"]
    if "rendered" in case:
        assert ruleset.render() == case["rendered"]
    if "parameters" in case:
        assert [list(r.columns) for r in ruleset.rules] == case["parameters"]
    assert dqdl.parse(ruleset.render()) == ruleset


def _ruleset_case_holds(case: dict) -> bool:
    try:
        test_reference_ruleset_case(case)
    except (AssertionError, dqdl.DqdlSyntaxError, pytest.fail.Exception):
        return False
    return True


def test_reference_case_counts(record_property: pytest.RecordProperty) -> None:
    """The counts in one place (also recorded in the JUnit report): all of them, and none lost."""
    round_trips = sum(_round_trips(rule) for rule in VALID)
    rejected = sum(_rejected(text) for text in INVALID)
    rulesets = sum(_ruleset_case_holds(case) for case in RULESETS)
    record_property("valid_round_trips", f"{round_trips}/{len(VALID)}")
    record_property("invalid_rejected", f"{rejected}/{len(INVALID)}")
    record_property("ruleset_cases", f"{rulesets}/{len(RULESETS)}")
    print(
        f"reference cases: {round_trips}/{len(VALID)} valid rules round-trip, {rejected}/{len(INVALID)} invalid"
        f" rulesets rejected, {rulesets}/{len(RULESETS)} ruleset cases hold"
    )
    assert (round_trips, rejected, rulesets) == (len(VALID), len(INVALID), len(RULESETS))
