"""The data catalog: the crawled schema of the landed files, as Glue's crawler keeps it."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
from pydantic import Field

CatalogColumns = list[dict[str, str]]  # [{"name": ..., "type": ...}], in file order


class LocalCatalog(dg.ConfigurableResource):
    """A folder of JSON table entries standing in for the Glue Data Catalog."""

    root: str = Field(description="Folder holding one JSON file per catalog table.")
    database: str = Field(default="movies", description="Catalog database (Glue database name).")

    def _entry(self, table: str) -> Path:
        return Path(self.root) / self.database / f"{table}.json"

    def get_columns(self, table: str) -> CatalogColumns | None:
        """The columns recorded by the previous crawl, or None if the table is new."""
        entry = self._entry(table)
        return json.loads(entry.read_text())["columns"] if entry.is_file() else None

    def put_table(self, table: str, columns: CatalogColumns, location: str) -> str:
        """Register or update the table; returns where the entry lives."""
        entry = self._entry(table)
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_text(json.dumps({"name": table, "location": location, "columns": columns}, indent=2))
        return str(entry)
