"""Small helpers for hand-worked rule tests: one rule, one small frame, outcomes as letters."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from quality_movies import dqdl

NOW = datetime(2024, 3, 10, 12, 0, 0)


def judge(rule: str, frame: pl.DataFrame) -> tuple[dqdl.RuleOutcome, list[str]]:
    """Evaluate a one-rule ruleset: the rule's outcome and, per row, P (passed), F (failed) or S (skipped)."""
    evaluation = dqdl.evaluate(f"Rules = [ {rule} ]", frame, now=NOW)
    (outcome,) = evaluation.rules
    letters = []
    for row in evaluation.rows.iter_rows(named=True):
        marks = [
            letter
            for letter, column in (("P", dqdl.PASS_COLUMN), ("F", dqdl.FAIL_COLUMN), ("S", dqdl.SKIP_COLUMN))
            if outcome.rule in row[column]
        ]
        assert len(marks) == 1, row
        letters.append(marks[0])
    return outcome, letters


def rows(rule: str, frame: pl.DataFrame) -> str:
    """Per-row outcome letters as one string, e.g. ``"PPFSP"``."""
    return "".join(judge(rule, frame)[1])


def outcome(rule: str, frame: pl.DataFrame) -> str:
    """The rule's outcome: Passed, Failed or Error."""
    return judge(rule, frame)[0].outcome
