"""What a ruleset's outcomes mean for a file, read through the ruleset's settings.

Glue reports each rule as Passed, Failed or Error; the settings beside the ruleset say which
failures are errors, which block the warehouse load, and whether a failed dataset stops the run.
A rule in Error (it parsed but cannot be evaluated here: a missing column, bad SQL, an unsupported rule)
counts as not passed and, unless its `on_error = "ignore"`, stops the file: a rule that judged nothing
must not let rows through (fail closed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from quality_movies import dqdl
from quality_movies.ruleset_config import RulesetConfig


@dataclass(frozen=True)
class Verdict(dqdl.ScoredRules):
    """The rule outcomes of one evaluation, in ruleset order, and the settings that judge them."""

    rules: list[dqdl.RuleOutcome]
    config: RulesetConfig

    def _not_passed(self) -> list[dqdl.RuleOutcome]:
        return [rule for rule in self.rules if rule.outcome != "Passed"]

    @property
    def failed_errors(self) -> list[str]:
        """Rules of severity `error` that did not pass: any of them makes the dataset fail."""
        return [r.rule for r in self._not_passed() if self.config.settings_for(r.rule).severity == "error"]

    @property
    def dataset_failed(self) -> bool:
        return bool(self.failed_errors)

    @property
    def blocking_failures(self) -> list[str]:
        """Blocking rules that did not pass: the file's good rows must not reach the warehouse."""
        return [r.rule for r in self._not_passed() if self.config.settings_for(r.rule).blocking]

    @property
    def stopping_errors(self) -> list[dqdl.RuleOutcome]:
        """Rules in Error whose `on_error` is `stop` (the default): any of them stops the file."""
        return [r for r in self.rules if r.outcome == "Error" and self.config.settings_for(r.rule).on_error == "stop"]

    @property
    def stop_reason(self) -> str | None:
        """Why the file must stop, nothing routed or loaded, else None.

        Rules in Error lead (with why each could not be evaluated), then a failed dataset when
        `on_dataset_failure = "stop"`.
        """
        reasons = []
        if errors := self.stopping_errors:
            named = "; ".join(f"{r.rule}: {r.failure_reason}" for r in errors)
            reasons.append(f'{len(errors)} rule(s) could not be evaluated (on_error = "stop"): {named}')
        if self.config.on_dataset_failure == "stop" and self.dataset_failed:
            reasons.append(
                f"data quality failed ({self.score_text}); rules of severity error not passed: "
                + "; ".join(self.failed_errors)
            )
        return "; ".join(reasons) or None

    def records(self) -> list[dict[str, Any]]:
        """One JSON-ready record per rule: outcome, failing_rows, metrics, reason and the rule's settings."""
        return [self._record(rule) for rule in self.rules]

    def _record(self, rule: dqdl.RuleOutcome) -> dict[str, Any]:
        settings = self.config.settings_for(rule.rule)
        return {
            "rule": rule.rule,
            "outcome": rule.outcome,
            "failing_rows": rule.failing_rows,
            "metrics": {name: _json_number(value) for name, value in rule.evaluated_metrics.items()},
            "reason": rule.failure_reason,
            "severity": settings.severity,
            "blocking": settings.blocking,
            "on_error": settings.on_error,
        }

    def summary(self) -> dict[str, Any]:
        """The dataset-level part of a stage summary."""
        return {
            "dq_score": self.score,
            "dq_result": self.score_text,
            "dataset_failed": self.dataset_failed,
            "blocked_by": self.blocking_failures,
            "stopped": self.stop_reason,
            "ruleset": str(self.config.path),
            "on_dataset_failure": self.config.on_dataset_failure,
            "rules": self.records(),
        }


def _json_number(value: float) -> float | None:
    """NaN and infinities are not JSON: a metric that could not be computed is null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value
