"""The data catalog: the crawled schema of the landed files, as Glue's crawler keeps it."""

import json
from abc import abstractmethod
from pathlib import Path

import dagster as dg
from pydantic import Field

from quality_movies.crawl import CatalogColumns
from quality_movies.resources.lake import write_whole


class Catalog(dg.ConfigurableResource):
    """Where table schemas are registered; `database` is the Glue database name."""

    database: str = Field(default="movies", description="Catalog database (Glue database name).")

    @abstractmethod
    def get_columns(self, table: str) -> CatalogColumns | None:
        """The columns recorded by the previous crawl, or None if the table is new."""

    @abstractmethod
    def put_table(self, table: str, columns: CatalogColumns, location: str) -> str:
        """Register or update the table; returns where a person finds the entry."""


class LocalCatalog(Catalog):
    """A folder of JSON table entries standing in for the Glue Data Catalog."""

    root: str = Field(description="Folder holding one JSON file per catalog table.")

    def _entry(self, table: str) -> Path:
        return Path(self.root) / self.database / f"{table}.json"

    def get_columns(self, table: str) -> CatalogColumns | None:
        entry = self._entry(table)
        return json.loads(entry.read_text())["columns"] if entry.is_file() else None

    def put_table(self, table: str, columns: CatalogColumns, location: str) -> str:
        entry = self._entry(table)
        write_whole(entry, json.dumps({"name": table, "location": location, "columns": columns}, indent=2).encode())
        return str(entry)


class GlueCatalog(Catalog):
    """The AWS Glue Data Catalog: a CSV table over the landing prefix, as the recipe's crawler makes."""

    region: str | None = Field(default=None, description="AWS region of the catalog.")
    endpoint_url: str | None = Field(default=None, description="Glue-compatible endpoint instead of AWS.")

    def _client(self):
        import boto3  # only the Glue catalog needs it: local runs start without loading it

        return boto3.client("glue", region_name=self.region, endpoint_url=self.endpoint_url)

    def get_columns(self, table: str) -> CatalogColumns | None:
        client = self._client()
        try:
            found = client.get_table(DatabaseName=self.database, Name=table)["Table"]
        except client.exceptions.EntityNotFoundException:
            return None
        return [{"name": c["Name"], "type": c["Type"]} for c in found["StorageDescriptor"]["Columns"]]

    def put_table(self, table: str, columns: CatalogColumns, location: str) -> str:
        client = self._client()
        try:
            client.get_database(Name=self.database)
        except client.exceptions.EntityNotFoundException:
            client.create_database(DatabaseInput={"Name": self.database})
        table_input = _csv_table_input(table, columns, location)
        try:
            client.update_table(DatabaseName=self.database, TableInput=table_input)
        except client.exceptions.EntityNotFoundException:
            client.create_table(DatabaseName=self.database, TableInput=table_input)
        return f"glue://{self.database}/{table}"


def _csv_table_input(table: str, columns: CatalogColumns, location: str) -> dict:
    """A TableInput like the one Glue's crawler writes for a folder of CSV files with a header."""
    return {
        "Name": table,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
        "StorageDescriptor": {
            "Columns": [{"Name": c["name"], "Type": c["type"]} for c in columns],
            "Location": location,
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "SerdeInfo": {
                "SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
                "Parameters": {"separatorChar": ",", "quoteChar": '"'},
            },
        },
    }
