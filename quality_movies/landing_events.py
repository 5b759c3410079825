"""On AWS, landing by event: S3 notifications of new objects, read from an SQS queue, instead of listing.

Listing the whole landing prefix every tick grows with every file ever landed (20,000 objects took 27-43 s
a tick on moto, near Dagster's 60 s sensor timeout); a queue hands over each new object once, whatever is
in the bucket, and has no clock to be skipped by. A message is deleted only once the run request it
became is recorded: the tick that reads it names its receipt in the cursor, which Dagster stores together
with the tick's run requests, and the next tick deletes it. A tick that fails records neither, so the
message is delivered again after the queue's visibility timeout; its run key (key@ETag) and the
instance's record of ingested content keep a redelivery from running the file twice.
"""

import json
import urllib.parse
from dataclasses import dataclass, field

import dagster as dg
from pydantic import Field

from quality_movies.jobs import ingest_landed_file
from quality_movies.resources.lake import Lake, LakeObject, key_refusal
from quality_movies.sensors import ingest_requests, is_landable

MESSAGES_PER_TICK = 500  # 50 receives of 10: a burst drains over a few ticks, each well inside the timeout
QUEUE_URL_VARIABLE = "QUALITY_MOVIES_LANDING_QUEUE_URL"


class LandingQueue(dg.ConfigurableResource):
    """The SQS queue the landing bucket sends its `s3:ObjectCreated:*` notifications to."""

    queue_url: str = Field(description="URL of the SQS queue receiving the bucket's object-created events.")
    region: str | None = Field(default=None, description="AWS region of the queue.")
    endpoint_url: str | None = Field(default=None, description="SQS-compatible endpoint instead of AWS.")

    def _client(self):
        import boto3  # only the event-driven sensor needs it

        return boto3.client("sqs", region_name=self.region, endpoint_url=self.endpoint_url)

    def receive(self, limit: int = MESSAGES_PER_TICK) -> list[tuple[str, str]]:
        """Up to `limit` messages as (receipt handle, body); stops early when the queue is empty."""
        client, received = self._client(), []
        while len(received) < limit:
            batch = client.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            messages = batch.get("Messages", [])
            if not messages:
                break
            received += [(message["ReceiptHandle"], message["Body"]) for message in messages]
        return received

    def delete(self, receipts: list[str]) -> list[str]:
        """Delete the messages; returns the receipts that could not be (expired: they will come again)."""
        client, failed = self._client(), []
        for start in range(0, len(receipts), 10):
            chunk = receipts[start : start + 10]
            entries = [{"Id": str(number), "ReceiptHandle": receipt} for number, receipt in enumerate(chunk)]
            answer = client.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
            failed += [chunk[int(entry["Id"])] for entry in answer.get("Failed", [])]
        return failed


def created_objects(body: str) -> list[LakeObject]:
    """The objects an S3 event notification announces as created (none for S3's test event or other events)."""
    try:
        records = json.loads(body).get("Records", [])
    except (json.JSONDecodeError, AttributeError):
        return []  # not an S3 notification: nothing to land, and deleting it keeps the queue clean
    created = []
    for record in records:
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        found = record["s3"]["object"]
        key = urllib.parse.unquote_plus(found["key"])  # S3 sends keys URL-encoded, a space as '+'
        # No time is kept: an event is taken whenever it arrives, never skipped for its timestamp.
        created.append(LakeObject(key, int(found.get("size", 0)), found.get("eTag", "").strip('"'), last_modified=0.0))
    return created


@dataclass(frozen=True)
class EventCursor:
    """Receipts of the messages whose run requests the previous tick returned: deleted by the next tick."""

    to_delete: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, text: str | None) -> "EventCursor":
        return cls(**json.loads(text)) if text else cls()

    def to_json(self) -> str:
        return json.dumps({"to_delete": self.to_delete})


@dg.sensor(
    name="landing_events_sensor",
    job=ingest_landed_file,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a partition and requests a run for each CSV the landing bucket announces through SQS "
    "(S3 event notifications), unless that content was ingested already; used instead of listing on AWS.",
)
def landing_events_sensor(context: dg.SensorEvaluationContext, lake: Lake, landing_queue: LandingQueue):
    cursor = EventCursor.from_json(context.cursor)
    expired = landing_queue.delete(cursor.to_delete)
    if expired:
        context.log.info(f"{len(expired)} messages came back before deletion; their run keys keep them single")
    messages = landing_queue.receive()
    created = []
    for _, body in messages:
        for found in created_objects(body):
            if not is_landable(found.key, lake.landing_prefix):
                continue
            if refusal := key_refusal(found.key):
                context.log.warning(f"not ingested: {refusal}")
                continue
            created.append(found)
    cursor = EventCursor([receipt for receipt, _ in messages])
    return dg.SensorResult(**ingest_requests(context, lake, created), cursor=cursor.to_json())
