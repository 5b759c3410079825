"""The SQL that differs on Redshift: good rows staged as Parquet in S3 and loaded by COPY."""

import datetime as dt
import io

import polars as pl
import pyarrow.parquet as pq
import pytest
import sqlglot

from quality_movies.contract import DATA_COLUMNS, LINEAGE_COLUMNS, to_warehouse_types
from quality_movies.resources.s3_lake import S3Lake
from quality_movies.resources.warehouse import TABLE_COLUMNS, RedshiftWarehouse
from quality_movies_tests.conftest import read_imdb

ROLE = "arn:aws:iam::123456789012:role/redshift-copy"
REDSHIFT = RedshiftWarehouse(host="unused")


def test_copy_statement_loads_one_staged_parquet_object_by_column_name_with_the_role():
    statement = REDSHIFT.copy_statement("s3://movies-lake/staging/redshift_copy/ab12.parquet", ROLE)

    parsed = sqlglot.parse_one(statement, read="redshift")  # a parser that knows Redshift's COPY

    assert isinstance(parsed, sqlglot.exp.Copy)
    assert parsed.this.this.sql("redshift") == '"movies"."imdb_movies_rating"'
    assert [column.name for column in parsed.this.expressions] == list(TABLE_COLUMNS)  # an added column breaks nothing
    assert [file.name for file in parsed.args["files"]] == ["s3://movies-lake/staging/redshift_copy/ab12.parquet"]
    assert parsed.args["credentials"].args["iam_role"].name == ROLE
    assert "FORMAT PARQUET" in parsed.sql("redshift")


@pytest.mark.parametrize(
    ("uri", "role"),
    [
        ("s3://movies-lake/x.parquet' CREDENTIALS 'x", ROLE),
        ("https://example.com/x.parquet", ROLE),
        ("s3://movies-lake/x.parquet", "arn:aws:iam::123:role/x'; DROP TABLE movies.imdb_movies_rating; --"),
    ],
)
def test_copy_statement_refuses_literals_that_could_change_the_statement(uri, role):
    with pytest.raises(ValueError, match="refusing to COPY"):
        REDSHIFT.copy_statement(uri, role)


@pytest.mark.aws
def test_staged_rows_carry_the_table_columns_in_table_order(aws):
    good = to_warehouse_types(read_imdb().filter(pl.col("imdb_rating").cast(pl.Float64) > 8.5))
    stage = S3Lake(bucket=aws.bucket, region="us-east-1", endpoint_url=aws.endpoint)
    redshift = RedshiftWarehouse(host="unused", copy_stage=stage, copy_iam_role=ROLE)
    rows = good.with_columns(
        source_file=pl.lit("input_data/x.csv"), run_id=pl.lit("r"), loaded_at=pl.lit(dt.datetime(2026, 11, 30))
    )

    key = redshift.stage_for_copy(rows.lazy())

    staged = pl.read_parquet(stage.uri(key), storage_options=aws.storage_options())
    parquet = pq.ParquetFile(io.BytesIO(aws.client("s3").get_object(Bucket=aws.bucket, Key=key)["Body"].read()))
    columns = parquet.metadata.row_group(0)
    assert {columns.column(i).compression for i in range(columns.num_columns)} == {"SNAPPY"}
    loaded_at = parquet.schema.column(parquet.schema.names.index("loaded_at"))
    assert (loaded_at.physical_type, loaded_at.converted_type) == ("INT64", "TIMESTAMP_MICROS")
    assert staged.columns == [column.name for column in (*DATA_COLUMNS, *LINEAGE_COLUMNS)]
    assert staged.schema["imdb_rating"] == pl.Float64 and staged.schema["no_of_votes"] == pl.Int64
    assert staged.height == good.height
    stage.delete(key)
    assert aws.keys("staging/redshift_copy/") == []
