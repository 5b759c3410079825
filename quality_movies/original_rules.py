"""The original Glue jobs' two rules, evaluated with Glue's row-level outcome columns.

A stand-in for the DQDL engine: same inputs (a frame of raw text columns), same outputs
(outcome columns per row, one outcome per rule), so the quality stage does not change
when the engine replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

PASS, FAIL, SKIP = "DataQualityRulesPass", "DataQualityRulesFail", "DataQualityRulesSkip"
RESULT = "DataQualityEvaluationResult"
OUTCOME_COLUMNS = (PASS, FAIL, SKIP, RESULT)


@dataclass(frozen=True)
class RuleOutcome:
    rule: str
    outcome: str  # Passed | Failed | Error
    failing_rows: int
    metrics: dict[str, float] = field(default_factory=dict)
    reason: str | None = None


@dataclass(frozen=True)
class Evaluation:
    rows: pl.DataFrame
    rules: list[RuleOutcome]

    @property
    def score(self) -> float:
        evaluated = [rule for rule in self.rules if rule.outcome != "Error"]
        return sum(rule.outcome == "Passed" for rule in evaluated) / len(evaluated) if evaluated else 1.0

    @property
    def score_text(self) -> str:
        passed = sum(rule.outcome == "Passed" for rule in self.rules)
        return f"{passed}/{len(self.rules)} rules passed ({self.score:.0%})"


RATING = pl.col("imdb_rating").str.strip_chars().cast(pl.Float64, strict=False)
# DQDL's `between` excludes its bounds; a null rating is skipped by ColumnValues, failed by IsComplete.
RULES: dict[str, tuple[pl.Expr, pl.Expr]] = {  # rule text -> (applies to row, row passes)
    'IsComplete "imdb_rating"': (pl.lit(True), pl.col("imdb_rating").is_not_null()),
    'ColumnValues "imdb_rating" between 8.5 and 10.3': (
        pl.col("imdb_rating").is_not_null(),
        (RATING > 8.5) & (RATING < 10.3),
    ),
}


def evaluate(frame: pl.DataFrame) -> Evaluation:
    """Evaluate the original rules on `frame` in one pass and return rows with outcome columns."""
    flags = frame.select(
        [applies.fill_null(False).alias(f"a{i}") for i, (applies, _) in enumerate(RULES.values())]
        + [passes.fill_null(False).alias(f"p{i}") for i, (_, passes) in enumerate(RULES.values())]
    )
    texts = list(RULES)

    def listed(condition) -> pl.Expr:
        return pl.concat_list(
            [pl.when(condition(i)).then(pl.lit(text)) for i, text in enumerate(texts)]
        ).list.drop_nulls()

    outcome = flags.select(
        listed(lambda i: pl.col(f"a{i}") & pl.col(f"p{i}")).alias(PASS),
        listed(lambda i: pl.col(f"a{i}") & ~pl.col(f"p{i}")).alias(FAIL),
        listed(lambda i: ~pl.col(f"a{i}")).alias(SKIP),
    ).with_columns(
        pl.when(pl.col(FAIL).list.len() == 0).then(pl.lit("Passed")).otherwise(pl.lit("Failed")).alias(RESULT)
    )
    failing = flags.select([(pl.col(f"a{i}") & ~pl.col(f"p{i}")).sum() for i in range(len(texts))]).row(0)
    rating = frame.select(RATING.min().alias("min"), RATING.max().alias("max")).row(0, named=True)
    metrics = {"Column.imdb_rating.Minimum": rating["min"], "Column.imdb_rating.Maximum": rating["max"]}
    rules = [
        RuleOutcome(
            text,
            "Passed" if count == 0 else "Failed",
            int(count),
            metrics,
            None if count == 0 else f"{count} rows failed",
        )
        for text, count in zip(texts, failing, strict=False)
    ]
    rules[0] = RuleOutcome(
        texts[0],
        rules[0].outcome,
        rules[0].failing_rows,
        {"Column.imdb_rating.Completeness": 1 - failing[0] / max(frame.height, 1)},
        rules[0].reason,
    )
    return Evaluation(rows=pl.concat([frame, outcome], how="horizontal"), rules=rules)
