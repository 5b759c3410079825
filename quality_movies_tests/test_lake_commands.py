"""`quality-movies bad-rows` and `quality-movies sql` on a lake and warehouse filled by real runs."""

import json

import pytest

from quality_movies.cli import main
from quality_movies_tests.conftest import IMDB_CSV, expected_good, read_imdb


@pytest.fixture
def two_files_run(pipeline, tmp_path, monkeypatch):
    """The IMDb file and a 20-row copy of it, each run through the pipeline; the CLI pointed at that home."""
    short = tmp_path / "short.csv"
    read_imdb().head(40).write_csv(short)
    for source in (IMDB_CSV, short):
        assert pipeline.run(pipeline.land(source)).success
    monkeypatch.setenv("QUALITY_MOVIES_HOME", str(pipeline.home))
    return pipeline


def test_bad_rows_prints_each_quarantined_row_with_its_reasons(two_files_run, capsys):
    assert main(["bad-rows", "--file", "imdb_movies_rating.csv", "--limit", "2"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        'input_data/imdb_movies_rating.csv row 34 (Joker): ColumnValues "imdb_rating" between 8.5 and 10.3',
        'input_data/imdb_movies_rating.csv row 35 (Whiplash): ColumnValues "imdb_rating" between 8.5 and 10.3',
        "(first 2 shown; --limit N for more)",
    ]


def test_bad_rows_filters_by_rule_text_and_file(two_files_run, capsys):
    assert main(["bad-rows", "--rule", 'MATCHES "[0-9]{4}"', "--limit", "100"]) == 0
    (apollo,) = capsys.readouterr().out.splitlines()  # the one row whose year is not four digits ('PG')
    assert apollo.startswith("input_data/imdb_movies_rating.csv row ") and "(Apollo 13)" in apollo
    assert apollo.endswith('ColumnValues "released_year" matches "[0-9]{4}"')

    assert main(["bad-rows", "--file", "input_data/short.csv", "--limit", "1000", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {row["file"] for row in rows} == {"input_data/short.csv"}
    assert len(rows) == 40 - expected_good(read_imdb().head(40))


def test_bad_rows_says_so_when_there_is_no_quarantine(clean_home, monkeypatch, capsys):
    monkeypatch.setenv("QUALITY_MOVIES_HOME", str(clean_home))
    assert main(["bad-rows"]) == 1
    assert "no quarantine under" in capsys.readouterr().err


def test_sql_queries_the_warehouse_through_the_projects_connection(two_files_run, capsys):
    query = "select source_file, count(*) as n from movies.imdb_movies_rating group by 1 order by 1"
    assert main(["sql", query, "--json"]) == 0

    assert json.loads(capsys.readouterr().out) == [
        {"source_file": "input_data/imdb_movies_rating.csv", "n": expected_good()},
        {"source_file": "input_data/short.csv", "n": expected_good(read_imdb().head(40))},
    ]


def test_sql_prints_a_table_changes_nothing_and_reports_the_servers_error(two_files_run, capsys):
    assert main(["sql", "delete from movies.imdb_movies_rating"]) == 0
    assert main(["sql", "select count(*) as rows_left from movies.imdb_movies_rating"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-4:] == ["rows_left", "---------", str(expected_good() + expected_good(read_imdb().head(40))), "(1 row)"]

    assert main(["sql", "select no_such_column from movies.imdb_movies_rating"]) == 1
    assert 'column "no_such_column" does not exist' in capsys.readouterr().err
