"""A DQDL (AWS Glue Data Quality Definition Language) engine on Polars.

Parse a ruleset, evaluate it on a Polars frame and get Glue's outcomes back::

    from quality_movies import dqdl

    evaluation = dqdl.evaluate(dqdl.parse(text), frame)
    evaluation.rows          # the frame plus DataQualityRulesPass/Fail/Skip and DataQualityEvaluationResult
    evaluation.rules         # one RuleOutcome per rule: outcome, failure reason, metrics, failing rows
    evaluation.score_text    # "41/43 rules passed (95%)"

To stream a file of any size, ``prepare`` the evaluation: sink its ``rows``, collect its
``measures`` and let ``outcomes`` turn the measures into verdicts, without holding the rows.

Columns keep their types: a frame typed as Glue's crawler types the table (bigint, double, boolean,
the rest text) is evaluated as Glue evaluates it, numbers as numbers. Columns named in ``carry=`` pass
through to ``rows`` unchanged, but no rule sees them (e.g. the raw landed text beside a typed column).

Dynamic rules (``RowCount > avg(last(10)) * 0.8``) and ``DetectAnomalies`` are judged against the metrics of
previous runs, given as ``history=`` (a ``MetricHistory``; ``dynamic.py``); without enough of it they are in Error.

Metrics carry Glue's names (``Column.imdb_rating.Maximum``, ``Dataset.*.RowCount``). A rule with a ``where``
clause measures only the rows the clause keeps, so its metrics get the clause appended, as written (unescaped):
``ColumnValues "x" > 1 where "y > 2"`` reports ``Column.x.Maximum.Where[y > 2]`` where the same rule without the
clause reports ``Column.x.Maximum``; each has its own history. AWS documents no name for a filtered rule's
metrics: this scheme is ours (``plan.Scope.metric``), readable and stable as long as the clause's text is.

The engine knows nothing about Dagster: it takes text and a frame and returns outcomes.
"""

from quality_movies.dqdl.analyzers import AnalyzerResult
from quality_movies.dqdl.dynamic import MetricHistory, SeriesHistory
from quality_movies.dqdl.evaluate import (
    FAIL_COLUMN,
    OUTCOME_COLUMNS,
    PASS_COLUMN,
    RESULT_COLUMN,
    SKIP_COLUMN,
    Evaluation,
    Prepared,
    annotate,
    evaluate,
    prepare,
)
from quality_movies.dqdl.grammar import DqdlSyntaxError
from quality_movies.dqdl.model import Composite, Condition, Rule, Ruleset, render
from quality_movies.dqdl.parser import parse, parse_rule
from quality_movies.dqdl.recommend import recommend
from quality_movies.dqdl.scores import RuleOutcome, ScoredRules, format_score

__all__ = [
    "AnalyzerResult",
    "FAIL_COLUMN",
    "OUTCOME_COLUMNS",
    "PASS_COLUMN",
    "RESULT_COLUMN",
    "SKIP_COLUMN",
    "Composite",
    "Condition",
    "DqdlSyntaxError",
    "Evaluation",
    "MetricHistory",
    "Prepared",
    "Rule",
    "RuleOutcome",
    "Ruleset",
    "ScoredRules",
    "SeriesHistory",
    "annotate",
    "evaluate",
    "format_score",
    "parse",
    "parse_rule",
    "prepare",
    "recommend",
    "render",
]
