"""The real Glue job, reproduced: same ruleset, same file, same verdict on every row.

Every test runs twice: on the file read as text, and on the file typed as Glue's crawler typed it
(``imdb_rating`` double, ``meta_score`` and ``no_of_votes`` bigint, lower-case names), which is what Glue
evaluated the rules on."""

from __future__ import annotations

from collections import Counter

import polars as pl
import pytest

from quality_movies import dqdl
from quality_movies_tests.data_files import GLUE_REFERENCE, IMDB_CSV, IMDB_LF_CSV, VARIANTS
from quality_movies_tests.dqdl.conftest import split_rule_list
from quality_movies_tests.dqdl.helpers import crawled

KEY = ("poster_link", "series_title")


@pytest.fixture(scope="module", params=["text", "crawled-types"])
def evaluation(request: pytest.FixtureRequest, glue_ruleset_text: str, movies: pl.DataFrame) -> dqdl.Evaluation:
    return dqdl.evaluate(glue_ruleset_text, movies if request.param == "text" else crawled(IMDB_CSV))


def test_crawled_frame_types_the_numeric_columns() -> None:
    schema = crawled(IMDB_CSV).schema
    assert (schema["imdb_rating"], schema["meta_score"], schema["no_of_votes"]) == (pl.Float64, pl.Int64, pl.Int64)
    assert {schema[name] for name in ("released_year", "gross", "runtime")} == {pl.String}


def _by_key(frame: pl.DataFrame, link: str, title: str) -> dict[tuple[str, str], dict]:
    """Rows by their (link, title), the names matched case-insensitively (the crawled frame is lower-case)."""
    link, title = (next(c for c in frame.columns if c.lower() == name.lower()) for name in (link, title))
    return {(row[link], row[title]): row for row in frame.iter_rows(named=True)}


def test_glue_job_passes_685_rows_and_fails_315(evaluation: dqdl.Evaluation) -> None:
    counts = Counter(evaluation.rows["DataQualityEvaluationResult"].to_list())
    assert counts == {"Passed": 685, "Failed": 315}


def test_failed_rows_are_exactly_the_rows_glue_failed(evaluation: dqdl.Evaluation, bad_records: pl.DataFrame) -> None:
    ours = evaluation.rows.filter(pl.col("DataQualityEvaluationResult") == "Failed")
    assert set(_by_key(ours, "Poster_Link", "Series_Title")) == set(_by_key(bad_records, *KEY))


def test_every_failed_row_has_glues_pass_fail_and_skip_rule_sets(
    evaluation: dqdl.Evaluation, bad_records: pl.DataFrame
) -> None:
    ours = _by_key(evaluation.rows, "Poster_Link", "Series_Title")
    mismatches = []
    for key, glue_row in _by_key(bad_records, *KEY).items():
        for ours_column, glue_column in (
            ("DataQualityRulesPass", "dataqualityrulespass"),
            ("DataQualityRulesFail", "dataqualityrulesfail"),
            ("DataQualityRulesSkip", "dataqualityrulesskip"),
        ):
            if set(ours[key][ours_column]) != set(split_rule_list(glue_row[glue_column])):
                mismatches.append((key[1], ours_column))
    assert mismatches == []
    assert len(bad_records) == 315


def test_outcome_lists_follow_ruleset_order(evaluation: dqdl.Evaluation, glue_rule_lines: list[str]) -> None:
    position = {rule: i for i, rule in enumerate(glue_rule_lines)}
    for column in ("DataQualityRulesPass", "DataQualityRulesFail", "DataQualityRulesSkip"):
        for rules in evaluation.rows[column].head(50).to_list():
            assert [position[r] for r in rules] == sorted(position[r] for r in rules)


def test_failures_per_rule_match_glues_rule_fail_frequency(evaluation: dqdl.Evaluation) -> None:
    glue = pl.read_csv(GLUE_REFERENCE / "rule_fail_frequency.csv", infer_schema=False)
    expected = {row["data_qualityfail"]: int(row["_col1"]) for row in glue.iter_rows(named=True)}
    ours = Counter(rule for rules in evaluation.rows["DataQualityRulesFail"].to_list() for rule in rules)
    assert dict(ours) == expected


def test_rules_failed_per_row_match_glue(evaluation: dqdl.Evaluation) -> None:
    glue = pl.read_csv(GLUE_REFERENCE / "rules_failed_per_row.csv", infer_schema=False)
    expected = {int(row["Rules_failed"]): int(row["no_of_entries"]) for row in glue.iter_rows(named=True)}
    failed = evaluation.rows["DataQualityRulesFail"].list.len().to_list()
    assert dict(Counter(n for n in failed if n)) == expected


def test_dataset_level_rules_are_skipped_on_every_row(evaluation: dqdl.Evaluation) -> None:
    dataset_level = {
        "RowCount between 500 and 2000",
        'StandardDeviation "meta_score" between 11.75 and 12.99',
        'StandardDeviation "no_of_votes" between 310848.53 and 343569.43',
    }
    for skipped in evaluation.rows["DataQualityRulesSkip"].to_list():
        assert dataset_level <= set(skipped)


def test_rule_outcomes_report_glue_metric_names(evaluation: dqdl.Evaluation) -> None:
    by_rule = {r.rule: r for r in evaluation.rules}
    rating = by_rule['ColumnValues "imdb_rating" between 7 and 10']
    assert rating.evaluated_metrics == {"Column.imdb_rating.Minimum": 7.6, "Column.imdb_rating.Maximum": 9.3}
    assert by_rule['IsComplete "gross"'].evaluated_metrics == {"Column.gross.Completeness": 0.831}
    assert by_rule["RowCount between 500 and 2000"].evaluated_metrics == {"Dataset.*.RowCount": 1000.0}
    assert by_rule['IsComplete "gross"'].outcome == "Failed"
    assert by_rule['IsComplete "gross"'].failing_rows == 169


def test_row_level_uniqueness_fails_duplicates_while_the_rule_passes(evaluation: dqdl.Evaluation) -> None:
    outcome = next(r for r in evaluation.rules if r.rule == 'Uniqueness "series_title" > 0.95')
    assert (outcome.outcome, outcome.failing_rows) == ("Passed", 2)
    assert outcome.evaluated_metrics == {"Column.series_title.Uniqueness": 0.998}


def test_glue_job_scores_35_of_40(evaluation: dqdl.Evaluation) -> None:
    assert evaluation.score_text == "35/40 rules passed (87%)"


@pytest.mark.parametrize(
    "read",
    [
        lambda: pl.read_csv(IMDB_LF_CSV, infer_schema=False),
        lambda: pl.read_parquet(VARIANTS / "imdb_movies_rating.parquet"),
        lambda: pl.scan_csv(IMDB_CSV, infer_schema=False),
    ],
    ids=["lf-line-ends", "typed-parquet", "lazy-scan"],
)
def test_variants_of_the_input_get_identical_row_outcomes(read, glue_ruleset_text: str, evaluation) -> None:  # noqa: ANN001
    other = dqdl.evaluate(glue_ruleset_text, read())
    columns = list(dqdl.OUTCOME_COLUMNS)
    assert other.rows.select(columns).equals(evaluation.rows.select(columns))
