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


_STRING = re.compile(r"'(?:[^']|'')*'")
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
# Polars SQL's table functions read files and URLs (read_csv('/etc/...'), read_parquet, scan_...), quoted or not.
_TABLE_FUNCTION = re.compile(r'"?\b((?:read|scan)_\w+)"?\s*\(', re.IGNORECASE)
_FIRST_WORD = re.compile(r"[\s(]*([A-Za-z_]*)")
_QUERY_WORDS = {"select", "with"}


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


def _code(sql: str) -> str:
    """The SQL with its string literals emptied and comments removed: what is left is what runs."""
    return _COMMENT.sub(" ", _STRING.sub("''", sql))


def _outside_access(bound_sql: str) -> str | None:
    """Why the (bound) SQL would reach beyond the data, if it would: a table function or a non-query."""
    code = _code(bound_sql)
    function = _TABLE_FUNCTION.search(code)
    if function:
        return f"{function.group(1)}() reads outside the data; only the data (`primary`) can be queried"
    first = _FIRST_WORD.match(code).group(1).lower()
    if first not in _QUERY_WORDS:
        return f"only a SELECT (or WITH ... SELECT) on the data runs, not {first.upper() or 'this statement'}"
    return None


def predicate(where: str, columns: Sequence[str]) -> pl.Expr:
    """A Boolean expression for a rule's ``where`` clause."""
    bound = bind_columns(where, columns)
    function = _TABLE_FUNCTION.search(_code(bound))
    if function:
        raise SqlError(f'where clause "{where}" is refused: {function.group(1)}() reads outside the data')
    try:
        return pl.sql_expr(bound)
    except Exception as error:  # polars raises several exception types for bad SQL
        raise SqlError(f'where clause "{where}" is not valid SQL: {_first_line(error)}') from error


def query(sql: str, frame: pl.LazyFrame) -> pl.LazyFrame:
    """The lazy result of a CustomSql statement, with the frame registered as ``primary`` and nothing else.

    Polars SQL could also read files (table functions) and define tables: such a statement is refused.
    """
    bound = bind_columns(sql, frame.collect_schema().names())
    refused = _outside_access(bound)
    if refused:
        raise SqlError(f"CustomSql statement is refused: {refused}")
    try:
        return pl.SQLContext(primary=frame).execute(bound, eager=False)
    except Exception as error:  # polars raises several exception types for bad SQL
        raise SqlError(f"CustomSql statement is not valid SQL: {_first_line(error)}") from error


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
