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
    def evaluated(self) -> int:
        """Rules that produced a verdict (Passed or Failed); rules in Error are not counted, as in Glue."""
        return sum(r.outcome in ("Passed", "Failed") for r in self.rules)

    @property
    def score(self) -> float | None:
        """The DQ score: passed rules over evaluated rules (None when nothing was evaluated)."""
        return self.passed / self.evaluated if self.evaluated else None

    @property
    def score_text(self) -> str:
        """Glue's wording, e.g. ``41/43 rules passed (95%)``."""
        return format_score(self.passed, self.evaluated)


def format_score(passed: int, evaluated: int) -> str:
    """Glue's console wording, e.g. ``41/43 rules passed (95%)``; the percentage is rounded down."""
    if evaluated == 0:
        return "0/0 rules passed (no rule evaluated)"
    return f"{passed}/{evaluated} rules passed ({math.floor(100 * passed / evaluated)}%)"
