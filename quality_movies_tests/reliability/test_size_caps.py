"""A file does not decide the size of what the project stores or sends: oversized headers are refused alone.

Both readers (Polars' fast path for a header within its first 64 KiB, the careful reader beyond) refuse a
column name over 1,000 bytes or a header over 1,600 columns, with a reason short enough to send.
"""

from __future__ import annotations

import pytest

from quality_movies.landed_file import MAX_COLUMNS, MAX_NAME_BYTES
from quality_movies.stage import UnreadableFileError, run_stage
from quality_movies_tests.reliability.conftest import HEADER, SHAWSHANK, csv_bytes, land


def _with_header(header: list[str]) -> bytes:
    row = [SHAWSHANK[name] for name in HEADER] + ["x"] * (len(header) - len(HEADER))
    return csv_bytes([row], header=header)


@pytest.mark.parametrize(
    "name_bytes",
    [MAX_NAME_BYTES + 1, 20_000, 200_000],  # the fast reader's head, beyond it (the careful reader)
)
def test_a_column_name_over_the_cap_refuses_the_file_with_a_short_reason(tmp_path, config, name_bytes):
    path = land(tmp_path, "long_name.csv", _with_header([*HEADER, "n" * name_bytes]))
    with pytest.raises(UnreadableFileError) as refused:
        run_stage(path, config, tmp_path / "out", source="long_name.csv")
    reason = str(refused.value)
    assert f"column {len(HEADER) + 1}'s name is {name_bytes:,} bytes long" in reason
    assert f"at most {MAX_NAME_BYTES:,} bytes" in reason
    assert len(reason) < 300
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_column_name_at_the_cap_is_read(tmp_path, config):
    name = "n" * MAX_NAME_BYTES
    path = land(tmp_path, "at_cap.csv", _with_header([*HEADER, name]))
    result = run_stage(path, config, tmp_path / "out", source="at_cap.csv", contract=False)
    assert name in result.table.columns


def test_a_header_of_too_many_columns_refuses_the_file(tmp_path, config):
    header = [*HEADER, *(f"c{n}" for n in range(MAX_COLUMNS))]
    path = land(tmp_path, "wide.csv", _with_header(header))
    with pytest.raises(UnreadableFileError, match=f"the header has {len(header)} columns; at most {MAX_COLUMNS}"):
        run_stage(path, config, tmp_path / "out", source="wide.csv")
