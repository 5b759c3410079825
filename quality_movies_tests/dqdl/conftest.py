"""Fixtures for the DQDL engine tests: the real IMDb file and what Glue did with it."""

from __future__ import annotations

import polars as pl
import pytest

from quality_movies_tests.data_files import GLUE_REFERENCE, IMDB_CSV


def split_rule_list(text: str) -> list[str]:
    """Rule texts from Athena's ``[a, b, ...]`` rendering; commas inside quotes or brackets stay."""
    assert text.startswith("[") and text.endswith("]"), text
    body, items, current, depth, quoted, i = text[1:-1], [], "", 0, False, 0
    while i < len(body):
        char = body[i]
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "[":
            depth += 1
        elif not quoted and char == "]":
            depth -= 1
        if not quoted and depth == 0 and body.startswith(", ", i):
            items.append(current)
            current, i = "", i + 2
            continue
        current += char
        i += 1
    if current:
        items.append(current)
    return items


@pytest.fixture(scope="session")
def movies() -> pl.DataFrame:
    """The 1,000-row input of the Glue job, every column read as text (empty fields become null)."""
    return pl.read_csv(IMDB_CSV, infer_schema=False)


@pytest.fixture(scope="session")
def glue_ruleset_text() -> str:
    return (GLUE_REFERENCE / "ruleset.dqdl").read_text()


@pytest.fixture(scope="session")
def glue_rule_lines(glue_ruleset_text: str) -> list[str]:
    """The 40 rules of the Glue job, one per line, as Glue printed them."""
    lines = glue_ruleset_text.strip().splitlines()[1:-1]
    return [line.strip().removesuffix(",") for line in lines]


@pytest.fixture(scope="session")
def bad_records() -> pl.DataFrame:
    """The 315 rows Glue failed, with its outcome columns."""
    return pl.read_csv(GLUE_REFERENCE / "bad_records.csv", infer_schema=False)
