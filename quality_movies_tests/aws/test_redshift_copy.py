"""The SQL that differs on Redshift: good rows staged as Parquet in S3 and loaded by COPY."""

import polars as pl
import pytest

from quality_movies.contract import DATA_COLUMNS, LINEAGE_COLUMNS, to_warehouse_types
from quality_movies.resources.s3_lake import S3Lake
from quality_movies.resources.warehouse import RedshiftWarehouse
from quality_movies_tests.conftest import read_imdb

ROLE = "arn:aws:iam::123456789012:role/redshift-copy"
REDSHIFT = RedshiftWarehouse(host="unused")


def test_copy_statement_loads_one_staged_parquet_object_with_the_role():
    statement = REDSHIFT.copy_statement("s3://movies-lake/staging/redshift_copy/ab12.parquet", ROLE)
    assert statement.splitlines()[-4:] == [
        'COPY "movies"."imdb_movies_rating"',
        "FROM 's3://movies-lake/staging/redshift_copy/ab12.parquet'",
        f"IAM_ROLE '{ROLE}'",
        "FORMAT AS PARQUET;",
    ]


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
        source_file=pl.lit("input_data/x.csv"), run_id=pl.lit("r"), loaded_at=pl.lit(None, pl.Datetime("us"))
    )

    key = redshift.stage_for_copy(rows.lazy())

    staged = pl.read_parquet(stage.uri(key), storage_options=aws.storage_options())
    assert staged.columns == [column.name for column in (*DATA_COLUMNS, *LINEAGE_COLUMNS)]
    assert staged.schema["imdb_rating"] == pl.Float64 and staged.schema["no_of_votes"] == pl.Int64
    assert staged.height == good.height
    stage.delete(key)
    assert aws.keys("staging/redshift_copy/") == []
