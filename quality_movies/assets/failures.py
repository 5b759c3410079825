"""Bad input fails its step with the reason first: what the run page, the CLI and the notifications show.

The `dg.Failure` raised here also carries the file, the line (when the reader knows it) and the cause as
metadata, so the failed partition's page in the UI says why without opening the run's log.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from quality_movies.contract import MissingColumnsError
from quality_movies.landed_bytes import UnreadableFileError

BAD_INPUT = (UnreadableFileError, MissingColumnsError)
# The readers word their errors `<file>: line <n>: <cause>` (or `lines <n>-<m>`, or no line at all).
_LINE = re.compile(r"^lines? (?P<line>\d+)(?:-\d+)?: (?P<cause>.*)$", re.DOTALL)


def _file_named(reason: str) -> str:
    """The file an error message starts with (`<file>: …`), for a caller that did not say which."""
    return reason.split(": ", 1)[0]


def failure_metadata(error: Exception, key: str | None = None) -> dict[str, object]:
    """The file key, the line (when the message names one; a missing column is a header problem: line 1),
    the cause without them, and the kind of problem, for the failure event."""
    reason = str(error)
    key = key or _file_named(reason)
    rest = reason.removeprefix(f"{key}: ")
    found = _LINE.match(rest)
    line = int(found["line"]) if found else (1 if isinstance(error, MissingColumnsError) else None)
    metadata: dict[str, object] = {
        "file": key,
        "cause": found["cause"] if found else rest,
        "problem": type(error).__name__,
    }
    if line is not None:
        metadata["line"] = line
    return metadata


def bad_input_failure(error: Exception, key: str | None = None) -> dg.Failure:
    """A `dg.Failure` whose description is the reason, with `failure_metadata`; never retried (the file
    cannot mend itself)."""
    return dg.Failure(description=str(error), metadata=failure_metadata(error, key), allow_retries=False)


def _observe_on_partition(metadata: dict[str, object], reason: str) -> None:
    """Record the reason as an observation of the failing step's assets for this partition.

    Open-source Dagster keeps no failure event per asset partition, so the partition's page would only say
    "Run … failed"; an observation is kept, and the asset's page lists it with this metadata.
    """
    try:
        context = dg.AssetExecutionContext.get()
    except dg.DagsterInvariantViolationError:  # not inside an asset's step: nothing to observe
        return
    for asset_key in context.selected_asset_keys:
        context.log_event(
            dg.AssetObservation(
                asset_key=asset_key,
                partition=context.partition_key,
                description=reason,
                metadata={"failed": reason, **metadata},
            )
        )


@contextmanager
def bad_input_explained(key: str | None = None) -> Iterator[None]:
    """Turn a file that cannot be read or lacks columns into `bad_input_failure`; the original error stays
    chained for the curious."""
    try:
        yield
    except BAD_INPUT as error:
        failure = bad_input_failure(error, key)
        _observe_on_partition(failure_metadata(error, key), str(error))
        raise failure from error
