"""What an evaluation reports per rule (``RuleOutcome``) and Glue's DQ score over those outcomes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["Passed", "Failed", "Error"]


@dataclass(frozen=True)
class RuleOutcome:
    """The verdict on one rule, as Glue reports it in its rule outcomes."""

    rule: str
    outcome: Outcome
    failure_reason: str | None
    evaluated_metrics: dict[str, float]
    failing_rows: int | None  # None for rules without row-level outcomes


class ScoredRules:
    """Glue's DQ score over ``self.rules``, for anything holding the outcomes of one evaluation."""

    rules: list[RuleOutcome]

    @property
    def passed(self) -> int:
        return sum(r.outcome == "Passed" for r in self.rules)

    @property
    def errored(self) -> int:
        """Rules in Error: they could not be evaluated."""
        return sum(r.outcome == "Error" for r in self.rules)

    @property
    def total(self) -> int:
        """Every rule is scored: one in Error counts as not passed (fail closed), never as absent."""
        return len(self.rules)

    @property
    def score(self) -> float | None:
        """The DQ score: passed rules over all rules (None for an empty ruleset)."""
        return self.passed / self.total if self.total else None

    @property
    def score_text(self) -> str:
        """Glue's wording, e.g. ``41/43 rules passed (95%)``, naming rules in Error when there are some."""
        return format_score(self.passed, self.total, self.errored)


def format_score(passed: int, total: int, errored: int = 0) -> str:
    """Glue's console wording, e.g. ``41/43 rules passed (95%)``; the percentage is rounded down.

    Rules in Error are among the `total` and not passed: ``0/1 rules passed (0%; 1 in error)``.
    """
    if total == 0:
        return "0/0 rules passed (no rule evaluated)"
    errors = f"; {errored} in error" if errored else ""
    return f"{passed}/{total} rules passed ({math.floor(100 * passed / total)}%{errors})"
