"""Landed files longer than the crawler's sample (10,000 records), built from the real IMDb file's records."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

from quality_movies_tests.data_files import IMDB_CSV

with IMDB_CSV.open(encoding="utf-8", newline="") as _file:
    _rows = list(csv.reader(_file))
HEADER, RECORDS = _rows[0], _rows[1:]


def imdb_file(path: Path, records: int, **last: str) -> Path:
    """The real file's records repeated up to `records - 1`, then The Shawshank Redemption with `last` changed.

    Keys of `last` are spelled as the header spells them (`Meta_score`); lines end in CRLF, as the file landed.
    """
    unknown = set(last) - set(HEADER)
    assert not unknown, f"not a column: {unknown}"
    final = [last.get(name, value) for name, value in zip(HEADER, RECORDS[0], strict=True)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(itertools.islice(itertools.cycle(RECORDS), records - 1))
    writer.writerow(final)
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path
