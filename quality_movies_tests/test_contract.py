import re

import polars as pl

from quality_movies.contract import DATA_COLUMNS, LINEAGE_COLUMNS, VIOLATIONS, to_warehouse_types, violations_expr
from quality_movies.resources.warehouse import sql


def _ddl_columns() -> list[tuple[str, str]]:
    statement = "\n".join(line.split("--")[0] for line in sql("create_table").splitlines())
    body = statement.split("(", 1)[1].rsplit(")", 1)[0]
    found = []
    for line in body.splitlines():
        match = re.match(r"\s*(\w+)\s+([A-Z]+(?: PRECISION)?(?:\(\d+\))?)", line)
        if match:
            found.append((match.group(1), match.group(2)))
    return found


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
    assert violations == ["meta_score: '80.5' is not a BIGINT", "no_of_votes: '1,234' is not a BIGINT"]


def test_text_longer_than_the_column_in_bytes_is_a_violation():
    # 8 characters but 16 bytes in UTF-8: PostgreSQL would accept it, Redshift would not.
    violations = _row(released_year="éééééééé" + "é").select(violations_expr().alias(VIOLATIONS)).item().to_list()
    assert violations == ["released_year: longer than 16 bytes (VARCHAR(16))"]
