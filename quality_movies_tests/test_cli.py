import json

import pytest

from quality_movies.cli import main

REQUIRED = {
    "rows_in",
    "rows_good",
    "rows_bad",
    "dq_score",
    "rules_passed",
    "rules_total",
    "warehouse_rows",
    "mv_movie_count_total",
    "lake",
}


def test_demo_json_reports_the_bundled_sample_run_end_to_end(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QUALITY_MOVIES_HOME", str(tmp_path))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)

    assert main(["demo", "--json"]) == 0

    summary = json.loads(capsys.readouterr().out)
    assert summary.keys() >= REQUIRED
    assert summary["rows_in"] == 1000
    assert summary["rows_good"] + summary["rows_bad"] == 1000
    assert summary["warehouse_rows"] == summary["rows_good"] == summary["mv_movie_count_total"]
    assert (summary["rules_passed"], summary["rules_total"], summary["dq_score"]) == (5, 7, 5 / 7)
    failed = sorted(name for name, passed in summary["checks"].items() if not passed)
    assert failed == ["columnvalues_imdb_rating_between_8_5_and_10_3", "columnvalues_released_year_matches_0_9_4"]
    assert len(summary["checks"]) == 11  # 7 rules + crawl drift, conservation, warehouse and view checks
    assert summary["lake"]["bad_records"].startswith(str(tmp_path))


def test_demo_prints_a_readable_summary_and_rejects_a_missing_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QUALITY_MOVIES_HOME", str(tmp_path))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)

    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "rows in 1000:" in out and "5/7 rules passed (71%)" in out

    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--file", str(tmp_path / "nope.csv")])
    assert exit_.value.code == 2
