"""The Glue catalog at 10,000 files a day: no table version per run, and first crawls that race all succeed."""

import threading

import boto3
import pytest

from quality_movies.resources.catalog import GlueCatalog

pytestmark = pytest.mark.aws
COLUMNS = [{"name": "series_title", "type": "string"}, {"name": "meta_score", "type": "bigint"}]
LOCATION = "s3://movies-lake/input_data/"


def _versions(aws, database: str) -> int:
    return len(aws.client("glue").get_table_versions(DatabaseName=database, TableName="input_data")["TableVersions"])


def test_an_unchanged_schema_is_not_written_again_and_a_change_makes_no_archived_version(aws, monkeypatch):
    updates: list[dict] = []  # what the client sends (moto itself keeps a version whatever SkipArchive says)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", boto3.Session())  # this test's own, with the listener
    boto3.DEFAULT_SESSION.events.register(
        "provide-client-params.glue.UpdateTable", lambda params, **_: updates.append(params)
    )
    catalog = GlueCatalog(database=aws.database, region="us-east-1", endpoint_url=aws.endpoint)
    for _ in range(5):
        catalog.put_table("input_data", COLUMNS, LOCATION)
    assert _versions(aws, aws.database) == 1

    widened = [*COLUMNS, {"name": "studio", "type": "string"}]
    catalog.put_table("input_data", widened, LOCATION)

    assert catalog.get_columns("input_data") == widened
    assert [update["SkipArchive"] for update in updates] == [True]
    stored = aws.client("glue").get_table(DatabaseName=aws.database, Name="input_data")["Table"]
    assert stored["StorageDescriptor"]["Location"] == LOCATION


def test_first_crawls_racing_on_a_fresh_database_all_succeed(aws):
    failures: list[BaseException] = []

    def crawl(catalog: GlueCatalog, start: threading.Barrier) -> None:
        start.wait()
        try:
            catalog.put_table("input_data", COLUMNS, LOCATION)
        except BaseException as error:  # noqa: BLE001 - collected and asserted on below
            failures.append(error)

    for attempt in range(20):
        database = f"{aws.database}_race_{attempt}"
        catalog = GlueCatalog(database=database, region="us-east-1", endpoint_url=aws.endpoint)
        start = threading.Barrier(4)
        threads = [threading.Thread(target=crawl, args=(catalog, start)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert catalog.get_columns("input_data") == COLUMNS

    assert failures == []
