"""Glue's per-row outcome columns, built by lookup instead of row by row.

A row's outcome is a pattern: each rule with row outcomes passed, failed or skipped it. With few such
rules there are few patterns (3^n), so the lists of every pattern are built once and each row picks
its own by number. Assembling lists of strings on every row costs about 3 s per million rows; the
lookup costs about 0.1 s, which is what lets the quality stage keep pace with reading the CSV.
Rulesets with more row-level rules than the lookup can enumerate assemble the lists per row.
"""

from __future__ import annotations

from itertools import product

import polars as pl

# 3^9 = 19,683 patterns: a lookup table of a few MB at most, built in milliseconds.
MAX_LOOKUP_RULES = 9
_LISTS = pl.List(pl.String)
_PASSED, _FAILED, _SKIPPED = 0, 1, 2
_CODE = "__dq_outcome_pattern"


def with_outcome_columns(
    frame: pl.LazyFrame, rules: list[tuple[str, pl.Expr | None]], names: tuple[str, str, str, str]
) -> pl.LazyFrame:
    """The frame with pass, fail and skip lists and the result appended, named ``names``.

    ``rules`` are in ruleset order, each its text and its row flag (true passed, false failed, null
    skipped), or None when the rule has no row outcomes and is skipped on every row.
    """
    flags = [flag for _, flag in rules if flag is not None]
    if len(flags) > MAX_LOOKUP_RULES:
        return frame.with_columns(_row_by_row(rules, names))
    table = _pattern_table(rules, len(flags), names)
    if not flags:  # one pattern for every row: constants
        return frame.with_columns(pl.lit(table[name]).first().alias(name) for name in names)
    # State per flag: 1 - true = 0 (passed), 1 - false = 1 (failed), null -> 2 (skipped).
    states = [(1 - flag.cast(pl.UInt32)).fill_null(_SKIPPED) for flag in flags]
    code = pl.sum_horizontal([state * 3**i for i, state in enumerate(states)]).cast(pl.UInt32)
    # A join, not a gather from a literal: the streaming engine keeps a join's memory flat.
    return (
        frame.drop(names, strict=False)
        .with_columns(code.alias(_CODE))
        .join(table.lazy(), on=_CODE, how="left", maintain_order="left")
        .drop(_CODE)
    )


def _pattern_table(rules: list[tuple[str, pl.Expr | None]], flags: int, names: tuple[str, ...]) -> pl.DataFrame:
    """One row per pattern, numbered as the rows' codes number them, with its three lists and result."""
    lists: tuple[list[list[str]], ...] = ([], [], [])
    for pattern in product((_PASSED, _FAILED, _SKIPPED), repeat=flags):
        states = iter(pattern[::-1])  # product() varies the last flag fastest; the code weighs the first least
        per_rule = [(text, _SKIPPED if flag is None else next(states)) for text, flag in rules]
        for state, listed in enumerate(lists):
            listed.append([text for text, found in per_rule if found == state])
    return pl.DataFrame(
        {
            _CODE: pl.Series(range(len(lists[0])), dtype=pl.UInt32),
            **{name: pl.Series(listed, dtype=_LISTS) for name, listed in zip(names, lists, strict=False)},
            names[3]: ["Failed" if failed else "Passed" for failed in lists[_FAILED]],
        }
    )


def _row_by_row(rules: list[tuple[str, pl.Expr | None]], names: tuple[str, str, str, str]) -> list[pl.Expr]:
    passes, fails, skips = [], [], []
    for text, flag in rules:
        literal = pl.lit(text, dtype=pl.String)
        if flag is None:
            skips.append(literal)
            continue
        passes.append(pl.when(flag).then(literal))
        fails.append(pl.when(~flag).then(literal))
        skips.append(pl.when(flag.is_null()).then(literal))
    fail_list = _listing(fails)
    return [
        _listing(passes).alias(names[0]),
        fail_list.alias(names[1]),
        _listing(skips).alias(names[2]),
        pl.when(fail_list.list.len() == 0).then(pl.lit("Passed")).otherwise(pl.lit("Failed")).alias(names[3]),
    ]


def _listing(items: list[pl.Expr]) -> pl.Expr:
    if not items:
        return pl.lit([], dtype=_LISTS)
    return pl.concat_list(items).list.drop_nulls()
