"""A landed file's columns as the quality stage handles them: named by the mapping in force, typed as Glue's
crawler types them, the dataset's missing-value tokens read as nulls, double-encoded text repaired on request.
"""

from dataclasses import dataclass

import polars as pl

from quality_movies import crawl
from quality_movies.column_mapping import ColumnMapping, HeaderMappingError
from quality_movies.contract import REQUIRED_COLUMNS, MissingColumnsError, ParsedNumber, check_required_columns
from quality_movies.landed_table import LandedTable, repaired

RAW = "__raw__"  # the landed text of a typed column `x` travels as `__raw__x`, invisible to the rules


@dataclass(frozen=True)
class ColumnsInForce:
    """A file's columns as the stage handles them: named as mapped, typed as crawled, tokens as nulls,
    text repaired where the dataset asks for it (`repair`: text columns' double-encoded values).

    A column's landed text travels beside its typed value as `__raw__<name>` wherever the two can differ
    (a typed column; any column once missing-value tokens or repairs are set): the quarantine keeps the
    landed text.
    """

    renames: dict[str, str]  # landed name -> name in force, where they differ
    types: dict[str, str]  # crawler type by name in force, in file order
    null_tokens: tuple[str, ...]
    extras: list[str]  # names in force that are not loaded (left out of the warehouse)
    repair: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.types)

    def keeps_raw(self, name: str) -> bool:
        return self.types[name] != crawl.STRING or bool(self.null_tokens) or self.repair

    def read(self, name: str) -> pl.Expr:
        """The landed text as the rules read it, before typing: tokens as null, text columns repaired."""
        present = crawl.without_null_tokens(pl.col(name), self.null_tokens)
        return repaired(present) if self.repair and self.types[name] == crawl.STRING else present

    def landed(self, name: str) -> pl.Expr:
        """The column's text exactly as it landed."""
        return pl.col(RAW + name) if self.keeps_raw(name) else pl.col(name)

    def text(self, name: str) -> pl.Expr:
        """The landed text with missing-value tokens as null: what the type checks and the contract read."""
        if self.types[name] == crawl.STRING:
            return pl.col(name)  # the rules' own column: text, tokens already null, repaired if asked
        return crawl.without_null_tokens(pl.col(RAW + name), self.null_tokens)

    def parsed(self, name: str) -> ParsedNumber | None:
        """The rules' column where it holds the text parsed as a number: the contract need not parse it again."""
        kind = self.types.get(name)
        return ParsedNumber(pl.col(name), crawl.POLARS_TYPES[kind]) if kind in (crawl.BIGINT, crawl.DOUBLE) else None

    def misfits(self, name: str) -> pl.Expr:
        """True where text is present but does not fit the crawled type: the rules' value is null."""
        return self.text(name).is_not_null() & pl.col(name).is_null()


def plan_columns(
    table: LandedTable, mapping: ColumnMapping, null_tokens: tuple[str, ...], contract: bool, repair: bool
) -> tuple[crawl.Crawl, ColumnsInForce]:
    """The crawl (landed names, for the catalog) and how the stage names, types and reads the columns."""
    try:
        names = mapping.names_in_force(table.columns, table.source)
        extras = mapping.extras(names, REQUIRED_COLUMNS, table.source) if contract else []
        if contract:
            check_required_columns(list(names.values()), table.source)
    except (HeaderMappingError, MissingColumnsError) as error:
        mapped = (
            f" (columns mapped by {mapping.path})" if mapping.path and isinstance(error, MissingColumnsError) else ""
        )
        raise MissingColumnsError(f"{error}{mapped}") from error
    crawled = crawl.crawl_records(crawl.first_records(table), null_tokens)
    types = {names[c["name"]]: mapping.casts.get(names[c["name"]], c["type"]) for c in crawled.columns}
    renames = {landed: name for landed, name in names.items() if landed != name}
    return crawled, ColumnsInForce(renames, types, null_tokens, extras, repair)
