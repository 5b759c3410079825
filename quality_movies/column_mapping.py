"""Glue's "Change Schema" (ApplyMapping) step: which landed column becomes which warehouse column.

A mapping is a TOML file beside the ruleset (named by the ruleset's sidecar `mapping = "..."`, by
`QUALITY_MOVIES_MAPPING` or by `validate --mapping`)::

    extra_columns = "leave_out"            # required: what happens to columns the mapping does not place
    [columns]
    "Series Title" = "series_title"        # source header -> warehouse column
    "IMDB Rating" = { column = "imdb_rating", type = "double" }   # with the type the rules see it as

Source headers are matched lower-cased, as Glue's crawler names columns. A column the mapping does not
name keeps its lower-cased name (the identity, also the default without a mapping). Several headers may
map to one column (alternative spellings of one export); a file holding two of them is refused.
`extra_columns` decides what happens to columns that are not warehouse columns once mapped: `refuse` the
file, naming them, or `leave_out`: never loaded, kept in each quarantined record's text as it landed (and
in the archived landed file). Without a mapping, extra columns are left out, as they always were here.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

ExtraColumns = Literal["refuse", "leave_out"]
EXTRA_COLUMN_ACTIONS: tuple[ExtraColumns, ...] = ("refuse", "leave_out")
CAST_TYPES = ("bigint", "double", "boolean", "string")  # the crawler's types, which the rules compare as


class ColumnMappingError(ValueError):
    """A mapping file cannot be used; the message names the file and the problem."""


class HeaderMappingError(ValueError):
    """A landed header does not fit the mapping (two columns onto one, or extra columns refused)."""


@dataclass(frozen=True)
class ColumnMapping:
    """Landed header (lower-cased) -> warehouse column, casts, and the choice for extra columns."""

    path: Path | None  # None: the identity after lower-casing
    columns: Mapping[str, str] = field(default_factory=dict)
    casts: Mapping[str, str] = field(default_factory=dict)  # by warehouse column: the type the rules see
    extra_columns: ExtraColumns = "leave_out"

    def names_in_force(self, landed: tuple[str, ...], source: str) -> dict[str, str]:
        """Each landed column's name once mapped, in file order; raises if two land on one name."""
        names = {column: self.columns.get(column, column) for column in landed}
        taken: dict[str, str] = {}
        for column, name in names.items():
            if name in taken:
                raise HeaderMappingError(
                    f"{source}: columns {taken[name]!r} and {column!r} both map to {name!r}"
                    f" ({self.describe()['mapping']}); keep one of them"
                )
            taken[name] = column
        return names

    def extras(self, names: Mapping[str, str], wanted: tuple[str, ...], source: str) -> list[str]:
        """The mapped names that are not `wanted` (the warehouse's columns); raises if they are refused."""
        extra = [name for name in names.values() if name not in wanted]
        if extra and self.extra_columns == "refuse":
            raise HeaderMappingError(
                f"{source}: columns {', '.join(extra)} are not warehouse columns and the mapping "
                f'{self.describe()["mapping"]} refuses extra columns (extra_columns = "refuse"); map them '
                'or set extra_columns = "leave_out" to keep them only in the quarantine\'s raw text'
            )
        return extra

    def describe(self) -> dict[str, Any]:
        """The mapping in force, for `validate --json` and the catalog asset's metadata."""
        return {
            "mapping": str(self.path) if self.path else "identity (lower-cased headers)",
            "columns": dict(self.columns),
            "casts": dict(self.casts),
            "extra_columns": self.extra_columns,
        }


IDENTITY = ColumnMapping(path=None)


def load_mapping(path: Path) -> ColumnMapping:
    """Read a mapping file; raises ColumnMappingError naming every problem in it."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ColumnMappingError(f"{path}: no such mapping file") from error
    except tomllib.TOMLDecodeError as error:
        raise ColumnMappingError(f"{path}: not valid TOML: {error}") from error
    problems = [
        f"unknown key {key!r}; expected 'columns', 'extra_columns'"
        for key in document
        if key not in ("columns", "extra_columns")
    ]
    extra = document.get("extra_columns")
    if extra not in EXTRA_COLUMN_ACTIONS:
        problems.append(f"extra_columns must be one of 'refuse', 'leave_out' (say which), not {extra!r}")
    columns, casts = _entries(document.get("columns", {}), problems)
    if problems:
        listing = "\n".join(f"  - {problem}" for problem in problems)
        raise ColumnMappingError(f"{path}: {len(problems)} problem(s):\n{listing}")
    return ColumnMapping(path, columns, casts, cast(ExtraColumns, extra))


def _entries(table: object, problems: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """`[columns]` as source -> column and column -> cast, collecting problems."""
    if not isinstance(table, dict):
        problems.append("[columns] must be a table of source header = warehouse column")
        return {}, {}
    columns: dict[str, str] = {}
    casts: dict[str, str] = {}
    for source, entry in table.items():
        target, kind = (entry, None) if isinstance(entry, str) else _column_and_type(entry)
        if not isinstance(target, str) or not target:
            problems.append(f"[columns] {source!r} must be a column name or {{ column = ..., type = ... }}")
            continue
        if kind is not None and kind not in CAST_TYPES:
            problems.append(f"[columns] {source!r}: type must be one of {', '.join(CAST_TYPES)}, not {kind!r}")
            continue
        columns[source.lower()] = target.lower()
        if kind is not None:
            casts[target.lower()] = kind
    return columns, casts


def _column_and_type(entry: object) -> tuple[object, object]:
    if not isinstance(entry, dict) or set(entry) - {"column", "type"}:
        return None, None
    return entry.get("column"), entry.get("type")
