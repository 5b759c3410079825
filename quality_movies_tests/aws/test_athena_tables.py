"""Tables Athena can read: the landed CSVs, the quarantine and the rule outcomes, registered with the crawl.

There is no Athena here: the definitions stored in moto's Glue are checked against what Athena's documentation
requires (OpenCSVSerDe and empty numbers, the OpenX JSON SerDe for JSON Lines, partition projection), and the
quarantine's and outcomes' columns against the records a real run of the sample writes.
"""

import json
import re
import string

import polars as pl
import pytest

from quality_movies.assets.catalog import register_crawl
from quality_movies.resources.catalog import GlueCatalog, LocalCatalog
from quality_movies.resources.lake import BAD_RECORDS, RULE_OUTCOME, run_output_key
from quality_movies.resources.s3_lake import S3Lake
from quality_movies.ruleset_config import DEFAULT_RULESET, load_ruleset
from quality_movies.stage import BAD_RECORDS_FILE, run_stage
from quality_movies_tests.conftest import IMDB_CSV

pytestmark = pytest.mark.aws
ATHENA_NAME = re.compile(r"[a-z0-9_]{1,255}")  # Athena: lower case, digits and underscores
PARTITION, RUN = "imdb_movies_rating.csv", "0b5c1f7e-run"


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """One real evaluation of the sample: its crawled columns, a quarantined record, the rule outcome records."""
    out = tmp_path_factory.mktemp("stage")
    result = run_stage(IMDB_CSV, load_ruleset(DEFAULT_RULESET), out, source=f"input_data/{PARTITION}")
    bad_record = json.loads(result.outputs[BAD_RECORDS_FILE].read_text().splitlines()[0])
    return result.columns, bad_record, result.verdict.records()


@pytest.fixture
def registered(aws, staged):
    lake = S3Lake(bucket=aws.bucket, region="us-east-1", endpoint_url=aws.endpoint)
    catalog = GlueCatalog(database=aws.database, region="us-east-1", endpoint_url=aws.endpoint)
    register_crawl(lake, catalog, staged[0])
    glue = aws.client("glue")
    return lake, lambda name: glue.get_table(DatabaseName=aws.database, Name=name)["Table"]


def _columns(table: dict) -> dict[str, str]:
    return {column["Name"]: column["Type"] for column in table["StorageDescriptor"]["Columns"]}


def _athena_type(value) -> set[str]:
    """The column types a JSON value may be read as (null fits any)."""
    if value is None:
        return {"string", "bigint", "double", "boolean", "array<string>", "map<string,double>"}
    if isinstance(value, bool):
        return {"boolean"}
    if isinstance(value, int):
        return {"bigint"}
    if isinstance(value, list):
        return {"array<string>"} if all(isinstance(item, str) for item in value) else set()
    if isinstance(value, dict):
        numbers = all(item is None or isinstance(item, int | float) for item in value.values())
        return {"map<string,double>"} if numbers else set()
    return {"string"}


def test_the_landed_csv_table_keeps_crawled_numbers_and_reads_empty_ones_as_null(registered, staged):
    _, table = registered
    landed = table("input_data")

    assert landed["Parameters"]["use.null.for.invalid.data"] == "true"  # else HIVE_BAD_DATA on an empty number
    assert landed["Parameters"]["skip.header.line.count"] == "1"
    assert (
        landed["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == "org.apache.hadoop.hive.serde2.OpenCSVSerde"
    )
    assert _columns(landed)["meta_score"] == "bigint"
    empty_scores = pl.read_csv(IMDB_CSV, infer_schema=False)["Meta_score"].is_null().sum()
    assert empty_scores == 157  # what Athena met in a bigint column and could not read without the property


def test_the_quarantine_table_has_a_column_per_key_of_a_real_bad_record(registered, staged):
    _, table = registered
    _, bad_record, _ = staged
    quarantine = _columns(table("input_data_bad_records"))

    assert list(quarantine) == [key.lower() for key in bad_record]
    assert all(ATHENA_NAME.fullmatch(name) for name in quarantine)
    assert all(quarantine[key.lower()] in _athena_type(value) for key, value in bad_record.items())
    assert {quarantine[c["name"].lower()] for c in staged[0]} == {"string"}  # the text as it landed


def test_the_rule_outcome_table_has_a_column_per_key_of_the_records(registered, staged):
    _, table = registered
    outcomes = _columns(table("input_data_rule_outcome"))

    for record in staged[2]:
        assert list(outcomes) == list(record)
        assert all(outcomes[key] in _athena_type(value) for key, value in record.items())


@pytest.mark.parametrize(
    ("table_name", "prefix", "name"),
    [
        ("input_data_bad_records", BAD_RECORDS, "bad_records.jsonl"),
        ("input_data_rule_outcome", RULE_OUTCOME, "rule_outcome.jsonl"),
    ],
)
def test_json_lines_tables_are_projected_by_file_and_run_as_the_lake_lays_them_out(
    registered, table_name, prefix, name
):
    lake, table = registered
    found = table(table_name)
    parameters, storage = found["Parameters"], found["StorageDescriptor"]

    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert storage["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert [(key["Name"], key["Type"]) for key in found["PartitionKeys"]] == [
        ("source_file", "string"),
        ("run_id", "string"),
    ]
    assert parameters["projection.enabled"] == "true"
    # Athena: every partition column needs a projection type and a place in the location template.
    assert all(parameters[f"projection.{key['Name']}.type"] == "injected" for key in found["PartitionKeys"])
    located = string.Template(parameters["storage.location.template"]).substitute(source_file=PARTITION, run_id=RUN)
    assert located + name == lake.uri(run_output_key(prefix, PARTITION, RUN, name))
    assert storage["Location"] == lake.uri(prefix) + "/"


def test_registering_the_same_crawl_again_makes_no_table_version(aws, registered, staged):
    lake, _ = registered
    register_crawl(lake, GlueCatalog(database=aws.database, region="us-east-1", endpoint_url=aws.endpoint), staged[0])
    glue = aws.client("glue")
    for name in ("input_data", "input_data_bad_records", "input_data_rule_outcome"):
        assert len(glue.get_table_versions(DatabaseName=aws.database, TableName=name)["TableVersions"]) == 1


def test_the_local_catalog_writes_the_same_definitions(tmp_path, staged):
    from quality_movies.resources.local_lake import LocalLake

    lake, catalog = LocalLake(root=str(tmp_path / "lake")), LocalCatalog(root=str(tmp_path / "catalog"))
    register_crawl(lake, catalog, staged[0])

    entry = json.loads((tmp_path / "catalog" / "movies" / "input_data_bad_records.json").read_text())
    assert [key["name"] for key in entry["partition_keys"]] == ["source_file", "run_id"]
    assert entry["table_input"]["Parameters"]["projection.source_file.type"] == "injected"
    assert [c["name"] for c in entry["columns"]] == [key.lower() for key in staged[1]]
