"""SQL text from rulesets (``where`` clauses, ``CustomSql``) made to run on Polars as it runs on Glue.

Glue evaluates this SQL with Spark, whose column names are case-insensitive, whose identifiers are
quoted with backticks and whose double-quoted text is a string literal. Polars SQL is case-sensitive,
quotes identifiers with double quotes and strings with single quotes. ``bind_columns`` rewrites one
dialect into the other so that ``where "imdb_rating > 8"`` works on a frame whose header says
``IMDB_Rating``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import polars as pl

_TOKEN = re.compile(
    r"""'(?:[^']|'')*'            # a single-quoted string literal
      |"((?:[^"\\]|\\.)*)"       # a double-quoted string literal (Spark)
      |`([^`]*)`                 # a backtick-quoted identifier (Spark)
      |([A-Za-z_][A-Za-z0-9_]*)  # a bare word: keyword, function or identifier
    """,
    re.VERBOSE,
)


class SqlError(ValueError):
    """SQL from a ruleset that cannot be run on the frame."""


def resolve(name: str, columns: Sequence[str]) -> str | None:
    """The frame column a rule's column name refers to: exact match first, then case-insensitive."""
    if name in columns:
        return name
    matches = [c for c in columns if c.lower() == name.lower()]
    return matches[0] if len(matches) == 1 else None


def bind_columns(sql: str, columns: Sequence[str]) -> str:
    """Rewrite Spark-flavoured SQL into Polars SQL with column names resolved case-insensitively."""

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text.startswith("'"):
            return text
        if match.group(1) is not None:
            literal = re.sub(r"\\(.)", r"\1", match.group(1)).replace("'", "''")
            return f"'{literal}'"
        if match.group(2) is not None:
            column = resolve(match.group(2), columns) or match.group(2)
            return _quote(column)
        word = match.group(3)
        following = sql[match.end() :].lstrip()
        if following.startswith("("):  # a function name, not a column
            return word
        column = resolve(word, columns)
        return _quote(column) if column is not None else word

    return _TOKEN.sub(replace, sql)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def predicate(where: str, columns: Sequence[str]) -> pl.Expr:
    """A Boolean expression for a rule's ``where`` clause."""
    try:
        return pl.sql_expr(bind_columns(where, columns))
    except Exception as error:  # polars raises several exception types for bad SQL
        raise SqlError(f'where clause "{where}" is not valid SQL: {_first_line(error)}') from error


def query(sql: str, frame: pl.LazyFrame) -> pl.LazyFrame:
    """The lazy result of a CustomSql statement, with the frame registered as ``primary``."""
    columns = frame.collect_schema().names()
    try:
        return pl.SQLContext(primary=frame).execute(bind_columns(sql, columns), eager=False)
    except Exception as error:  # polars raises several exception types for bad SQL
        raise SqlError(f"CustomSql statement is not valid SQL: {_first_line(error)}") from error


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
