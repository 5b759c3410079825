"""The data catalog: the crawled schema of the landed files, as Glue's crawler keeps it."""

import contextlib
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
        found = self._table(self._client(), table)
        if found is None:
            return None
        return [{"name": c["Name"], "type": c["Type"]} for c in found["StorageDescriptor"]["Columns"]]

    def put_table(self, table: str, columns: CatalogColumns, location: str) -> str:
        """Create the table, or update it only when its columns or location changed.

        Every update makes a table version, and Glue keeps at most 100,000 per table: at 10,000 files a day an
        update per run would fail within ten days. So an unchanged schema is not written, and an update skips
        the archived version (`SkipArchive`). Runs that crawl a fresh database at once race to create it and the
        table; whoever loses finds them created and carries on.
        """
        client = self._client()
        entry = f"glue://{self.database}/{table}"
        table_input = _csv_table_input(table, columns, location)
        current = self._table(client, table)
        if current is not None and _same_table(current, table_input):
            return entry
        if current is None:
            with contextlib.suppress(client.exceptions.AlreadyExistsException):
                client.create_database(DatabaseInput={"Name": self.database})
            try:
                client.create_table(DatabaseName=self.database, TableInput=table_input)
                return entry
            except client.exceptions.AlreadyExistsException:
                pass  # another run created it meanwhile: update it as if it had been there
        client.update_table(DatabaseName=self.database, TableInput=table_input, SkipArchive=True)
        return entry

    def _table(self, client, table: str) -> dict | None:
        try:
            return client.get_table(DatabaseName=self.database, Name=table)["Table"]
        except client.exceptions.EntityNotFoundException:
            return None


def _same_table(current: dict, table_input: dict) -> bool:
    """Whether the catalog already holds `table_input`'s columns, location and format."""
    stored, wanted = current["StorageDescriptor"], table_input["StorageDescriptor"]
    columns = [{"Name": c["Name"], "Type": c["Type"]} for c in stored.get("Columns", [])]
    same_place = stored.get("Location") == wanted["Location"] and stored.get("SerdeInfo") == wanted["SerdeInfo"]
    return columns == wanted["Columns"] and same_place


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
