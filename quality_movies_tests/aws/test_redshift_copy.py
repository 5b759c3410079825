"""The SQL that differs on Redshift: good rows staged as Parquet in S3 and loaded by COPY."""

import io

import polars as pl
import pyarrow.parquet as pq
import pytest
import sqlglot

from quality_movies.contract import to_warehouse_types
from quality_movies.resources.s3_lake import S3Lake
from quality_movies.resources.warehouse import LOADED_COLUMNS, RedshiftWarehouse
from quality_movies_tests.conftest import read_imdb

ROLE = "arn:aws:iam::123456789012:role/redshift-copy"
REDSHIFT = RedshiftWarehouse(host="unused")


def test_copy_statement_loads_one_staged_parquet_object_by_column_name_with_the_role():
    statement = REDSHIFT.copy_statement("s3://movies-lake/staging/redshift_copy/ab12.parquet", ROLE)

    parsed = sqlglot.parse_one(statement, read="redshift")  # a parser that knows Redshift's COPY

    assert isinstance(parsed, sqlglot.exp.Copy)
    assert parsed.this.this.sql("redshift") == '"movies"."imdb_movies_rating"'
    # By name, so an added column breaks nothing; loaded_at left out, so the server's default fills it.
    assert [column.name for column in parsed.this.expressions] == list(LOADED_COLUMNS)
    assert "loaded_at" not in LOADED_COLUMNS
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
def test_staged_rows_carry_the_loaded_columns_in_table_order_and_no_loaded_at(aws):
    good = to_warehouse_types(read_imdb().filter(pl.col("imdb_rating").cast(pl.Float64) > 8.5))
    stage = S3Lake(bucket=aws.bucket, region="us-east-1", endpoint_url=aws.endpoint)
    redshift = RedshiftWarehouse(host="unused", copy_stage=stage, copy_iam_role=ROLE)
    rows = good.with_columns(source_file=pl.lit("input_data/x.csv"), run_id=pl.lit("r"))

    key = redshift.stage_for_copy(rows.lazy())

    staged = pl.read_parquet(stage.uri(key), storage_options=aws.storage_options())
    parquet = pq.ParquetFile(io.BytesIO(aws.client("s3").get_object(Bucket=aws.bucket, Key=key)["Body"].read()))
    columns = parquet.metadata.row_group(0)
    assert {columns.column(i).compression for i in range(columns.num_columns)} == {"SNAPPY"}
    assert staged.columns == list(LOADED_COLUMNS)  # no loaded_at: the server sets it
    assert staged.schema["imdb_rating"] == pl.Float64 and staged.schema["no_of_votes"] == pl.Int64
    assert staged.height == good.height
    stage.delete(key)
    assert aws.keys("staging/redshift_copy/") == []
