"""The data catalog: the crawled schema of the landed files, as Glue's crawler keeps it."""

import contextlib
import json
from abc import abstractmethod
from pathlib import Path

import dagster as dg
from pydantic import Field

from quality_movies.crawl import CatalogColumns
from quality_movies.resources.lake import BAD_RECORDS, RULE_OUTCOME, Lake
from quality_movies.resources.local_files import write_whole

OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"  # Athena's OpenX JSON SerDe, for JSON Lines
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
# A run's quarantine and rule outcomes: <prefix>/source_file=<file>/run_id=<run>/<name> (lake.run_output_key).
RUN_PARTITIONS = ("source_file", "run_id")
# Glue's outcome columns and the reasons, as stage.py writes them on each quarantined record (lower-cased: Athena's
# column names are; the JSON SerDe matches keys without regard to case).
BAD_RECORD_OUTCOMES = [
    ("dataqualityrulespass", "array<string>"),
    ("dataqualityrulesfail", "array<string>"),
    ("dataqualityrulesskip", "array<string>"),
    ("dataqualityevaluationresult", "string"),
    ("contractviolations", "array<string>"),
]
# One record per rule, as verdict.py's `records` writes them to rule_outcome.jsonl.
RULE_OUTCOME_COLUMNS = [
    ("rule", "string"),
    ("outcome", "string"),
    ("failing_rows", "bigint"),
    ("metrics", "map<string,double>"),
    ("reason", "string"),
    ("severity", "string"),
    ("blocking", "boolean"),
    ("on_error", "string"),
]


class Catalog(dg.ConfigurableResource):
    """Where table schemas are registered; `database` is the Glue database name."""

    database: str = Field(default="movies", description="Catalog database (Glue database name).")

    @abstractmethod
    def get_columns(self, table: str) -> CatalogColumns | None:
        """The columns recorded by the previous crawl, or None if the table is new."""

    def put_table(self, table: str, columns: CatalogColumns, location: str) -> str:
        """Register or update the crawled table over the landed CSVs; returns where a person finds the entry."""
        return self._put_table_input(_csv_table_input(table, columns, location))

    def put_output_tables(self, table: str, columns: CatalogColumns, lake: Lake) -> list[str]:
        """Register the Athena tables over the quarantine and the rule outcomes of `table`'s files.

        `<table>_bad_records` and `<table>_rule_outcome`, each partitioned by `source_file` and `run_id` as the
        lake lays them out; returns where a person finds the entries.
        """
        return [self._put_table_input(table_input) for table_input in output_table_inputs(table, columns, lake)]

    @abstractmethod
    def _put_table_input(self, table_input: dict) -> str:
        """Create or update the table `table_input` describes (a Glue TableInput); where its entry is."""


class LocalCatalog(Catalog):
    """A folder of JSON table entries standing in for the Glue Data Catalog."""

    root: str = Field(description="Folder holding one JSON file per catalog table.")

    def _entry(self, table: str) -> Path:
        return Path(self.root) / self.database / f"{table}.json"

    def get_columns(self, table: str) -> CatalogColumns | None:
        entry = self._entry(table)
        return json.loads(entry.read_text())["columns"] if entry.is_file() else None

    def _put_table_input(self, table_input: dict) -> str:
        """The entry as Glue would hold it: the columns and location in this catalog's form, and the TableInput."""
        entry = self._entry(table_input["Name"])
        storage = table_input["StorageDescriptor"]
        found = {
            "name": table_input["Name"],
            "location": storage["Location"],
            "columns": [{"name": c["Name"], "type": c["Type"]} for c in storage["Columns"]],
            "partition_keys": [{"name": c["Name"], "type": c["Type"]} for c in table_input["PartitionKeys"]],
            "table_input": table_input,
        }
        write_whole(entry, json.dumps(found, indent=2).encode())
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

    def _put_table_input(self, table_input: dict) -> str:
        """Create the table, or update it only when its columns, location or format changed.

        Every update makes a table version, and Glue keeps at most 100,000 per table: at 10,000 files a day an
        update per run would fail within ten days. So an unchanged table is not written, and an update skips
        the archived version (`SkipArchive`). Runs that crawl a fresh database at once race to create it and the
        table; whoever loses finds them created and carries on.
        """
        client, table = self._client(), table_input["Name"]
        entry = f"glue://{self.database}/{table}"
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
    """Whether the catalog already holds `table_input`'s columns, partitions, location, format and properties."""
    stored, wanted = current["StorageDescriptor"], table_input["StorageDescriptor"]
    columns = [{"Name": c["Name"], "Type": c["Type"]} for c in stored.get("Columns", [])]
    partitions = [{"Name": c["Name"], "Type": c["Type"]} for c in current.get("PartitionKeys", [])]
    same_place = stored.get("Location") == wanted["Location"] and stored.get("SerdeInfo") == wanted["SerdeInfo"]
    # Only the properties this code sets: Glue and Athena may add their own.
    same_properties = table_input["Parameters"].items() <= current.get("Parameters", {}).items()
    same_partitions = partitions == table_input.get("PartitionKeys", [])
    return columns == wanted["Columns"] and same_place and same_properties and same_partitions


def _csv_table_input(table: str, columns: CatalogColumns, location: str) -> dict:
    """A TableInput like the one Glue's crawler writes for a folder of CSV files with a header, readable by Athena.

    Athena's OpenCSVSerDe reads bigint and double, but not an empty value in a numeric column (the sample has 157
    empty meta_score): the query fails with HIVE_BAD_DATA. Athena documents two ways out: declare the column
    string and CAST in every query, or the table property `use.null.for.invalid.data`, which reads a value that
    does not deserialize into the column's type as NULL. The second keeps the crawled types, which the rules and
    the drift check compare with, and reads a missing value as NULL as the quality step does; what it would hide
    (a value that is not a number where one is crawled) is quarantined anyway, with its text and the reason, in
    the `<table>_bad_records` table.
    """
    return {
        "Name": table,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "csv", "skip.header.line.count": "1", "use.null.for.invalid.data": "true"},
        "PartitionKeys": [],
        "StorageDescriptor": {
            "Columns": [{"Name": c["name"], "Type": c["type"]} for c in columns],
            "Location": location,
            "InputFormat": TEXT_INPUT,
            "OutputFormat": TEXT_OUTPUT,
            "SerdeInfo": {
                "SerializationLibrary": OPEN_CSV_SERDE,
                "Parameters": {"separatorChar": ",", "quoteChar": '"'},
            },
        },
    }


def output_table_inputs(table: str, columns: CatalogColumns, lake: Lake) -> list[dict]:
    """TableInputs over the quarantine (`<table>_bad_records`) and the rule outcomes (`<table>_rule_outcome`).

    A quarantined record keeps the text of every landed column as it landed, so those columns are strings.
    Partitioned by `source_file` and `run_id` through Athena's partition projection of type `injected`: the
    values come from the query (`WHERE source_file = '...' AND run_id = '...'`, the encoded file name and the run
    that a run's notification and asset metadata name), so no partition is ever registered. Registering one per
    run would need a Glue call per run and leave partitions of replaced runs behind; `enum` would rewrite the
    table (a table version) per file. The price: Athena refuses a query that gives no value for each of them.
    """
    landed = [(c["name"].lower(), "string") for c in columns]
    return [
        _json_lines_table_input(
            f"{table}_{BAD_RECORDS}",
            [("source_row", "bigint"), *landed, *BAD_RECORD_OUTCOMES],
            lake.uri(BAD_RECORDS) + "/",
        ),
        _json_lines_table_input(f"{table}_{RULE_OUTCOME}", RULE_OUTCOME_COLUMNS, lake.uri(RULE_OUTCOME) + "/"),
    ]


def _json_lines_table_input(table: str, columns: list[tuple[str, str]], location: str) -> dict:
    template = location + "/".join(f"{name}=${{{name}}}" for name in RUN_PARTITIONS) + "/"
    projection = {f"projection.{name}.type": "injected" for name in RUN_PARTITIONS}
    return {
        "Name": table,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "classification": "json",
            "projection.enabled": "true",
            **projection,
            "storage.location.template": template,
        },
        "PartitionKeys": [{"Name": name, "Type": "string"} for name in RUN_PARTITIONS],
        "StorageDescriptor": {
            "Columns": [{"Name": name, "Type": kind} for name, kind in columns],
            "Location": location,
            "InputFormat": TEXT_INPUT,
            "OutputFormat": TEXT_OUTPUT,
            "SerdeInfo": {"SerializationLibrary": JSON_SERDE, "Parameters": {"case.insensitive": "true"}},
        },
    }
