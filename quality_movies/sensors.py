"""The landing sensor, which turns new CSV objects into partitions and runs, and the run-failure sensor."""

import json
import time
from dataclasses import dataclass, field

import dagster as dg

from quality_movies.assets.landing import ETAG_TAG, ingested_by
from quality_movies.jobs import ingest_landed_file, replay_quarantine
from quality_movies.notifications import status_message
from quality_movies.partitions import landed_files
from quality_movies.resources.lake import OUTPUT_PREFIXES, Lake, LakeObject, RefusedObject
from quality_movies.resources.notifier import Notifier
from quality_movies.run_summary import summarize_run

LANDABLE_SUFFIXES = (".csv", ".csv.gz")
# How often a tick also removes what killed writes left in the lake (`Lake.remove_stale_leftovers`).
SWEEP_EVERY_SECONDS = 10 * 60


def _version(found: LakeObject) -> str:
    return f"{found.key}@{found.etag}"


@dataclass(frozen=True)
class LandingCursor:
    """The version of each object under the landing prefix that the sensor has dealt with, and those waiting.

    `handled` maps a key to the version (ETag) that was requested, found ingested already, or refused; any other
    version of that key is new, whatever its timestamp (a `mv` or `cp -p` keeps an old one). `pending` maps a key
    to a version seen once on a lake whose listed objects may be incomplete: it is taken when the next tick sees
    it unchanged. Keys no longer listed drop out of both, so the cursor is bounded by what is in the folder.
    """

    handled: dict[str, str] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)
    swept_at: float = 0.0

    @classmethod
    def from_json(cls, text: str | None) -> "LandingCursor":
        state = json.loads(text) if text else {}
        if "handled" not in state:  # none yet, or the look-back cursor of earlier versions: `ingested_by` decides
            return cls()
        return cls(handled=state["handled"], pending=state["pending"], swept_at=state.get("swept_at", 0.0))

    def to_json(self) -> str:
        return json.dumps({"handled": self.handled, "pending": self.pending, "swept_at": self.swept_at}, sort_keys=True)

    def is_new(self, key: str, version: str) -> bool:
        return self.handled.get(key) != version

    def ready(self, objects: list[LakeObject], whole_when_listed: bool) -> list[LakeObject]:
        """The new versions to take now: all of them on a lake that lists whole objects, else those seen twice."""
        new = [o for o in objects if self.is_new(o.key, o.etag)]
        return [o for o in new if whole_when_listed or self.pending.get(o.key) == o.etag]

    def advance(
        self, objects: list[LakeObject], refused: list[RefusedObject], ready: list[LakeObject]
    ) -> "LandingCursor":
        """The cursor once `ready` and `refused` are dealt with; the other new versions of `objects` wait."""
        taken = {o.key for o in ready}
        handled = {o.key: o.etag for o in objects if o.key in taken or not self.is_new(o.key, o.etag)}
        pending = {o.key: o.etag for o in objects if o.key not in handled}
        return LandingCursor(handled | {r.key: r.version for r in refused}, pending, self.swept_at)

    def swept(self, now: float) -> "LandingCursor":
        return LandingCursor(self.handled, self.pending, now)


def is_landable(key: str, landing_prefix: str) -> bool:
    """A CSV under the landing prefix, not one of the pipeline's own outputs."""
    relative = key.removeprefix(f"{landing_prefix}/")
    return (
        key.startswith(f"{landing_prefix}/")
        and relative.split("/", 1)[0] not in OUTPUT_PREFIXES
        and key.lower().endswith(LANDABLE_SUFFIXES)
    )


def _swept(context: dg.SensorEvaluationContext, lake: Lake, cursor: LandingCursor) -> LandingCursor:
    """Remove what killed writes left in the lake, at most every SWEEP_EVERY_SECONDS."""
    now = time.time()
    if now - cursor.swept_at < SWEEP_EVERY_SECONDS:
        return cursor
    try:
        for leftover in lake.remove_stale_leftovers():
            context.log.info(f"removed {leftover}, left by a write that was killed")
    except OSError as error:  # a leftover the sensor may not remove must not stop the landing of files
        context.log.warning(f"could not remove the leftovers of killed writes: {error}")
    return cursor.swept(now)


def _report(context: dg.SensorEvaluationContext, cursor: LandingCursor, refused: list[RefusedObject]) -> None:
    """Log each refused object once per version: why it is not ingested (the other files go on)."""
    for item in refused:
        if cursor.is_new(item.key, item.version):
            context.log.warning(f"not ingesting {item.key!r}: {item.reason}")


@dg.sensor(
    job=ingest_landed_file,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a partition and requests a run for each new or re-uploaded CSV under the landing prefix, "
    "once it is complete, unless that content was ingested already (by `quality-movies demo` or an earlier run).",
)
def landing_sensor(context: dg.SensorEvaluationContext, lake: Lake) -> dg.SensorResult:
    cursor = _swept(context, lake, LandingCursor.from_json(context.cursor))
    listing = lake.survey(lake.landing_prefix)
    listed = [o for o in listing.objects if is_landable(o.key, lake.landing_prefix)]
    refused = [r for r in listing.refused if is_landable(r.key, lake.landing_prefix)]
    _report(context, cursor, refused)
    ready = sorted(cursor.ready(listed, lake.whole_when_listed), key=lambda o: (o.last_modified, o.key))
    if waiting := [o.key for o in listed if cursor.is_new(o.key, o.etag) and o not in ready]:
        context.log.info(f"taken once seen unchanged at the next tick (may still be written): {waiting}")
    advanced = cursor.advance(listed, refused, ready)
    return dg.SensorResult(**ingest_requests(context, lake, ready), cursor=advanced.to_json())


def ingest_requests(context: dg.SensorEvaluationContext, lake: Lake, found: list[LakeObject]) -> dict[str, list]:
    """Run requests for the versions in `found` not ingested yet (once each), and the partitions they add.

    A sensor's cursor only knows what it saw; the instance knows what was ingested, and by whom.
    """
    to_ingest = {
        _version(o): o for o in found if ingested_by(context.instance, lake.partition_key(o.key), o.etag) is None
    }
    runs = [
        dg.RunRequest(partition_key=lake.partition_key(o.key), run_key=version, tags={ETAG_TAG: o.etag})
        for version, o in to_ingest.items()
    ]
    new = {run.partition_key for run in runs} - set(context.instance.get_dynamic_partitions(landed_files.name))
    return {
        "run_requests": runs,
        "dynamic_partitions_requests": [landed_files.build_add_request(sorted(new))] if new else [],
    }


@dg.run_failure_sensor(
    monitored_jobs=[ingest_landed_file, replay_quarantine],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Reports ingest runs that failed outside any step (the step hooks report the others).",
)
def notify_run_failure(context: dg.RunFailureSensorContext, notifier: Notifier) -> None:
    run_id = context.dagster_run.run_id
    step_failed = context.instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    if step_failed:
        return
    summary = summarize_run(context.instance, run_id)  # its error: why the run failed, from its event log
    summary["error"] = summary["error"] or context.failure_event.message or "the run failed before or between steps"
    notifier.publish(status_message(summary, succeeded=False))
