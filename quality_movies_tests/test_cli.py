import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import quality_movies
from quality_movies.cli import main
from quality_movies_tests.data_files import IMDB_CSV, VARIANTS

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
    assert (summary["error"], summary["failed_step"]) == (None, None)


def test_demo_prints_a_readable_summary_and_rejects_a_missing_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QUALITY_MOVIES_HOME", str(tmp_path))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)

    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "rows in 1000:" in out and "5/7 rules passed (71%)" in out

    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--file", str(tmp_path / "nope.csv")])
    assert exit_.value.code == 2


@pytest.fixture
def demo_home(tmp_path, monkeypatch):
    """A fresh local environment for `quality-movies demo`, on an ephemeral Dagster instance."""
    monkeypatch.setenv("QUALITY_MOVIES_HOME", str(tmp_path))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return tmp_path


def test_demo_on_an_unreadable_file_leads_with_the_reason_and_prints_no_trace_or_none(demo_home, capfd):
    assert main(["demo", "--file", str(VARIANTS / "messy_imdb_dataset.csv")]) == 1

    out, err = capfd.readouterr()
    first = out.splitlines()[0]
    assert re.fullmatch(r"Run \S+ FAILED for input_data/messy_imdb_dataset\.csv: .*semicolon-separated.*", first)
    assert "Traceback" not in out + err and "Stack Trace" not in out + err
    assert "None" not in out
    assert err == ""  # Dagster's console log stays quiet: the summary already says why


def test_demo_json_on_an_unreadable_file_names_the_file_and_the_failed_step(demo_home, capfd):
    assert main(["demo", "--json", "--file", str(VARIANTS / "imdb_movies_rating.parquet")]) == 1

    summary = json.loads(capfd.readouterr().out)
    assert summary["success"] is False
    assert "input_data/imdb_movies_rating.parquet" in summary["error"] and "Parquet" in summary["error"]
    assert "\n" not in summary["error"] and "Traceback" not in summary["error"]
    assert summary["failed_step"]


def test_demo_stopped_by_a_dagster_failure_shows_its_description_and_only_what_was_counted(
    demo_home, monkeypatch, capfd
):
    # `on_dataset_failure = "stop"` makes the quality step raise a dg.Failure after counting the rows.
    (demo_home / "strict.dqdl").write_text('Rules = [\n    ColumnValues "imdb_rating" between 8.5 and 10.3\n]\n')
    rule = '"ColumnValues \\"imdb_rating\\" between 8.5 and 10.3"'
    (demo_home / "strict.toml").write_text(f'on_dataset_failure = "stop"\n[rules.{rule}]\nseverity = "error"\n')
    monkeypatch.setenv("QUALITY_MOVIES_RULESET", str(demo_home / "strict.dqdl"))

    assert main(["demo"]) == 1

    out, err = capfd.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("Run ") and "FAILED for input_data/imdb_movies_rating.csv: " in lines[0]
    assert lines[0].endswith("no row was routed or loaded")
    assert "  failed step: quality_stage" in lines and "  rows in 1000" in lines
    assert "None" not in out and "warehouse:" not in out and "Traceback" not in out + err


def _dagster_modules_after(args: list[str]) -> list[str]:
    """Run the CLI in a fresh interpreter and list the Dagster modules it imported."""
    script = (
        "import json, sys\n"
        "from quality_movies.cli import main\n"
        f"code = main({args!r})\n"
        "print(json.dumps([m for m in sys.modules if m.split('.')[0].startswith('dagster')]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_lint_validate_and_bad_rows_never_import_dagster(tmp_path, monkeypatch):
    ruleset = str(Path(quality_movies.__file__).parent / "rules" / "movies.dqdl")
    monkeypatch.setenv("QUALITY_MOVIES_HOME", str(tmp_path))

    assert _dagster_modules_after(["lint", ruleset]) == []
    assert _dagster_modules_after(["validate", str(IMDB_CSV), "--out", str(tmp_path)]) == []
    assert _dagster_modules_after(["bad-rows"]) == []
