import re
from datetime import datetime

import pandera.polars as pa
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quality_movies.contract import (
    DATA_COLUMNS,
    LINEAGE_COLUMNS,
    VIOLATIONS,
    WAREHOUSE_ROW,
    WAREHOUSE_TABLE_ROW,
    fits_expr,
    to_warehouse_types,
    violations_expr,
)
from quality_movies.resources.warehouse import sql


def _ddl_columns() -> list[tuple[str, str]]:
    return [(name, sql_type) for name, sql_type, _ in _ddl_columns_with_nullability()]


def test_contract_and_table_ddl_agree_column_by_column():
    expected = [(column.name, column.sql_type) for column in (*DATA_COLUMNS, *LINEAGE_COLUMNS)]
    assert _ddl_columns() == expected


def _row(**overrides: str | None) -> pl.DataFrame:
    row = {column.name: "x" for column in DATA_COLUMNS}
    row.update(imdb_rating="8.6", meta_score="80", no_of_votes="1234")
    row.update(overrides)
    return pl.DataFrame([row], schema={column.name: pl.String for column in DATA_COLUMNS})


def test_a_row_with_castable_text_has_no_violations_and_takes_the_warehouse_types():
    frame = _row(meta_score=None)
    assert frame.select(violations_expr()).item().to_list() == []
    typed = to_warehouse_types(frame)
    assert typed.row(0, named=True)["imdb_rating"] == 8.6
    assert typed.schema["no_of_votes"] == pl.Int64


def test_text_that_cannot_take_its_type_is_a_violation_with_the_value():
    violations = _row(meta_score="80.5", no_of_votes="1,234").select(violations_expr()).item().to_list()
    assert violations == [
        "meta_score: '80.5' has a fraction; BIGINT holds whole numbers",
        "no_of_votes: '1,234' is not a BIGINT",
    ]


def test_text_longer_than_the_column_in_bytes_is_a_violation():
    # 8 characters but 16 bytes in UTF-8: PostgreSQL would accept it, Redshift would not.
    violations = _row(released_year="éééééééé" + "é").select(violations_expr().alias(VIOLATIONS)).item().to_list()
    assert violations == ["released_year: longer than 16 bytes (VARCHAR(16))"]


# ------------------------------------------------------------------------------------- the pandera model

# Written out here rather than taken from contract.py, so that the test does not check a mapping against itself.
PANDERA_TO_SQL = {"Float64": "DOUBLE PRECISION", "Int64": "BIGINT", "Datetime": "TIMESTAMP"}


def _ddl_columns_with_nullability() -> list[tuple[str, str, bool]]:
    statement = "\n".join(line.split("--")[0] for line in sql("create_table").splitlines())
    body = statement.split("(", 1)[1].rsplit(")", 1)[0]
    found = []
    for line in body.splitlines():
        # A DEFAULT (loaded_at's GETDATE()) comes before NOT NULL, as Redshift's CREATE TABLE orders them.
        match = re.match(r"\s*(\w+)\s+([A-Z]+(?: PRECISION)?(?:\(\d+\))?)(?:\s+DEFAULT\s+[\w()]+)?(\s+NOT NULL)?", line)
        if match:
            found.append((match.group(1), match.group(2), match.group(3) is None))
    return found


def _model_columns() -> list[tuple[str, str, bool]]:
    found = []
    for name, column in WAREHOUSE_TABLE_ROW.columns.items():
        dtype = str(column.dtype)
        limits = [check.statistics["limit"] for check in column.checks if check.name == "max_bytes"]
        sql_type = f"VARCHAR({limits[0]})" if dtype == "String" else PANDERA_TO_SQL[dtype.split("(")[0]]
        found.append((name, sql_type, column.nullable))
    return found


def test_pandera_model_and_table_ddl_agree_column_by_column():
    assert _model_columns() == _ddl_columns_with_nullability()
    assert len(_model_columns()) == 19


def test_the_good_rows_model_is_the_table_without_its_lineage_columns():
    data_columns = list(WAREHOUSE_ROW.columns)
    assert data_columns == [name for name, *_ in _ddl_columns_with_nullability()][: len(data_columns)]
    assert data_columns == [column.name for column in DATA_COLUMNS]


def test_the_model_accepts_typed_rows_and_rejects_text_longer_than_the_column_in_bytes():
    typed = to_warehouse_types(_row())
    WAREHOUSE_ROW.validate(typed)
    with pytest.raises(pa.errors.SchemaErrors) as raised:
        WAREHOUSE_ROW.validate(typed.with_columns(pl.lit("é" * 9).alias("released_year")), lazy=True)
    failure = raised.value.failure_cases.row(0, named=True)
    assert (failure["column"], failure["check"]) == ("released_year", "max_bytes(limit=16)")


def test_the_model_rejects_columns_the_table_lacks_and_untyped_numbers():
    typed = to_warehouse_types(_row())
    with pytest.raises(pa.errors.SchemaError, match="extra"):
        WAREHOUSE_ROW.validate(typed.with_columns(pl.lit(1).alias("extra")))
    with pytest.raises(pa.errors.SchemaError, match="meta_score"):
        WAREHOUSE_ROW.validate(typed.with_columns(pl.col("meta_score").cast(pl.String)))


def test_lineage_columns_may_not_be_null_in_the_table():
    table_row = to_warehouse_types(_row()).with_columns(
        pl.lit("input_data/a.csv").alias("source_file"),
        pl.lit(None, dtype=pl.String).alias("run_id"),
        pl.lit(datetime(2024, 7, 1)).alias("loaded_at"),
    )
    with pytest.raises(pa.errors.SchemaError, match="run_id"):
        WAREHOUSE_TABLE_ROW.validate(table_row)


_FIELD = st.one_of(st.none(), st.text(alphabet="0189.,-eé \x1f", max_size=20))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.fixed_dictionaries({column.name: _FIELD for column in DATA_COLUMNS}), min_size=1, max_size=20))
def test_a_row_fits_exactly_when_it_has_no_violations_and_then_passes_the_model(rows):
    frame = pl.DataFrame(rows, schema={column.name: pl.String for column in DATA_COLUMNS})
    checked = frame.with_columns(violations_expr(), fits_expr().alias("fits"))
    assert checked["fits"].to_list() == (checked[VIOLATIONS].list.len() == 0).to_list()
    WAREHOUSE_ROW.validate(to_warehouse_types(checked.filter("fits")))
    # One reason per broken column, even when a value holds the character that joins the reasons.
    for row in checked.iter_rows(named=True):
        assert len(row[VIOLATIONS]) == sum(reason.split(":")[0] in row for reason in row[VIOLATIONS])


def test_a_value_holding_the_joining_character_stays_one_reason():
    violations = _row(meta_score="8\x1f0").select(violations_expr()).item().to_list()
    assert violations == ["meta_score: '8 0' is not a BIGINT"]
