"""CustomSql and where clauses run on the data alone: no file, table function or statement beyond a query."""

from __future__ import annotations

import polars as pl
import pytest

from quality_movies_tests.dqdl.helpers import judge

FRAME = pl.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("select count(*) from read_csv('/etc/hostname')", "read_csv()"),
        ("SELECT COUNT(*) FROM READ_PARQUET('/tmp/x.parquet')", "READ_PARQUET()"),
        ("select count(*) from primary where a in (select 1 from read_json('/etc/x'))", "read_json()"),
        ("select count(*) from `read_csv`('/etc/hostname')", "read_csv()"),
        ("select count(*) from scan_ipc ('/etc/x')", "scan_ipc()"),
        ("create table t as select * from primary", "not CREATE"),
        ("show tables", "not SHOW"),
        ("drop table primary", "not DROP"),
        ("/* hidden */ truncate primary", "not TRUNCATE"),
    ],
)
def test_custom_sql_beyond_the_data_is_an_error_naming_why(statement, named):
    result, _ = judge(f'CustomSql "{statement}" > 0', FRAME)
    assert result.outcome == "Error"
    assert "CustomSql statement is refused" in result.failure_reason and named in result.failure_reason


def test_a_row_level_custom_sql_reading_a_file_is_an_error_too():
    result, _ = judge("CustomSql \"select a from read_csv('/etc/hostname')\"", FRAME)
    assert result.outcome == "Error" and "read_csv()" in result.failure_reason


def test_text_that_only_mentions_a_table_function_is_data():
    result, _ = judge("CustomSql \"select count(*) from primary where b <> 'read_csv(x)'\" = 3", FRAME)
    assert result.outcome == "Passed"
    result, _ = judge('CustomSql "with t as (select a from primary) select count(*) from t" = 3', FRAME)
    assert result.outcome == "Passed"


def test_a_where_clause_reading_a_file_is_an_error():
    result, _ = judge('IsComplete "a" where "a in (select 1 from read_csv(\'/etc/hostname\'))"', FRAME)
    assert result.outcome == "Error" and "read_csv()" in result.failure_reason
