"""Bad input fails its step with the reason first: what the run page, the CLI and the notifications show."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from quality_movies.contract import MissingColumnsError
from quality_movies.landed_bytes import UnreadableFileError

BAD_INPUT = (UnreadableFileError, MissingColumnsError)


@contextmanager
def bad_input_explained() -> Iterator[None]:
    """Turn a file that cannot be read or lacks columns into a `dg.Failure` whose description is the reason.

    A retry cannot mend the file, so none is attempted; the original error stays chained for the curious.
    """
    try:
        yield
    except BAD_INPUT as error:
        raise dg.Failure(description=str(error), allow_retries=False) from error
