"""The landing sensor, which turns new CSV objects into partitions and runs, and the run-failure sensor."""

import json
from dataclasses import dataclass, field

import dagster as dg

from quality_movies.assets.landing import ETAG_TAG, ingested_by
from quality_movies.jobs import ingest_landed_file
from quality_movies.notifications import status_message
from quality_movies.partitions import landed_files
from quality_movies.resources.lake import OUTPUT_PREFIXES, Lake, LakeObject
from quality_movies.resources.notifier import Notifier
from quality_movies.run_summary import summarize_run

# S3's LastModified is when an upload started: a large file can appear after a smaller one
# stamped later. Objects are therefore reconsidered for this long after the newest one seen.
LOOKBACK_SECONDS = 15 * 60
LANDABLE_SUFFIXES = (".csv", ".csv.gz")


def _version(found: LakeObject) -> str:
    return f"{found.key}@{found.etag}"


@dataclass(frozen=True)
class LandingCursor:
    """The newest modification time seen and the object versions seen within the look-back window.

    Bounded by the window, it survives restarts (Dagster stores it), handles equal timestamps
    and late arrivals, and sees a re-upload (new ETag) as a new version.
    """

    newest: float = 0.0
    seen: dict[str, float] = field(default_factory=dict)  # "key@etag" -> last_modified

    @classmethod
    def from_json(cls, text: str | None) -> "LandingCursor":
        if not text:
            return cls()
        state = json.loads(text)
        return cls(newest=state["newest"], seen=state["seen"])

    def to_json(self) -> str:
        return json.dumps({"newest": self.newest, "seen": self.seen}, sort_keys=True)

    def unseen(self, objects: list[LakeObject]) -> list[LakeObject]:
        horizon = self.newest - LOOKBACK_SECONDS
        return [o for o in objects if o.last_modified >= horizon and _version(o) not in self.seen]

    def advance(self, new: list[LakeObject]) -> "LandingCursor":
        newest = max([self.newest, *(o.last_modified for o in new)])
        seen = {**self.seen, **{_version(o): o.last_modified for o in new}}
        horizon = newest - LOOKBACK_SECONDS
        return LandingCursor(newest, {version: at for version, at in seen.items() if at >= horizon})


def is_landable(key: str, landing_prefix: str) -> bool:
    """A CSV under the landing prefix, not one of the pipeline's own outputs."""
    relative = key.removeprefix(f"{landing_prefix}/")
    return (
        key.startswith(f"{landing_prefix}/")
        and relative.split("/", 1)[0] not in OUTPUT_PREFIXES
        and key.lower().endswith(LANDABLE_SUFFIXES)
    )


@dg.sensor(
    job=ingest_landed_file,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a partition and requests a run for each new or re-uploaded CSV under the landing prefix, "
    "unless that content was ingested already (by `quality-movies demo` or an earlier run).",
)
def landing_sensor(context: dg.SensorEvaluationContext, lake: Lake) -> dg.SensorResult:
    cursor = LandingCursor.from_json(context.cursor)
    listed = [o for o in lake.list_objects(lake.landing_prefix) if is_landable(o.key, lake.landing_prefix)]
    new = sorted(cursor.unseen(listed), key=lambda o: (o.last_modified, o.key))
    # The cursor only knows what this sensor saw; the instance knows what was ingested, by whom.
    to_ingest = [o for o in new if ingested_by(context.instance, lake.partition_key(o.key), o.etag) is None]
    partitions = {lake.partition_key(o.key) for o in to_ingest}
    known = set(context.instance.get_dynamic_partitions(landed_files.name))
    runs = [
        dg.RunRequest(partition_key=lake.partition_key(o.key), run_key=_version(o), tags={ETAG_TAG: o.etag})
        for o in to_ingest
    ]
    return dg.SensorResult(
        run_requests=runs,
        dynamic_partitions_requests=[landed_files.build_add_request(sorted(partitions - known))]
        if partitions - known
        else [],
        cursor=cursor.advance(new).to_json(),
    )


@dg.run_failure_sensor(
    monitored_jobs=[ingest_landed_file],
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
