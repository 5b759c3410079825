"""Where notifications go: an SNS topic on AWS, an outbox file locally.

Sending is retried; a message that still cannot be sent is logged and dropped, because a
notification must never fail or undo the data load it reports on.
"""

import json
import time
from abc import abstractmethod
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from pydantic import Field

logger = dg.get_dagster_logger(__name__)  # captured into the run's event log inside a step


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    attributes: dict[str, str] = field(default_factory=dict)  # for machines: event kind, JSON summary


class Notifier(dg.ConfigurableResource):
    attempts: int = Field(default=3, description="Tries per message before giving up.")
    backoff_seconds: float = Field(default=0.5, description="First wait between tries; doubles each time.")

    @abstractmethod
    def _send(self, message: Message) -> None: ...

    def publish(self, message: Message) -> bool:
        """Send with retries; True if sent. Failures are logged, never raised."""
        for attempt in range(1, self.attempts + 1):
            try:
                self._send(message)
                return True
            except Exception as error:  # any transport error: the load must not depend on it
                logger.warning(
                    "notification %r failed (try %d of %d): %s", message.subject, attempt, self.attempts, error
                )
                if attempt < self.attempts:
                    time.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        logger.error("notification %r dropped after %d tries", message.subject, self.attempts)
        return False


class OutboxNotifier(Notifier):
    """Appends each message as one JSON line to a local file."""

    path: str = Field(description="The outbox file (JSON Lines).")

    def _send(self, message: Message) -> None:
        outbox = Path(self.path)
        outbox.parent.mkdir(parents=True, exist_ok=True)
        record = {"sent_at": datetime.now(UTC).isoformat(), **asdict(message)}
        with outbox.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


class SnsNotifier(Notifier):
    """Publishes to an SNS topic (e-mail subscribers read subject and body)."""

    topic_arn: str = Field(description="ARN of the topic.")
    region: str | None = Field(default=None, description="AWS region of the topic.")
    endpoint_url: str | None = Field(default=None, description="SNS-compatible endpoint instead of AWS.")

    def _send(self, message: Message) -> None:
        import boto3  # only the AWS notifier needs it: local runs start without loading it

        client = boto3.client("sns", region_name=self.region, endpoint_url=self.endpoint_url)
        client.publish(
            TopicArn=self.topic_arn,
            Subject=sns_subject(message.subject),
            Message=message.body,
            MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in message.attributes.items()},
        )


def sns_subject(subject: str) -> str:
    """SNS subjects are ASCII, one line, at most 100 characters."""
    flat = " ".join(subject.split()).encode("ascii", "replace").decode()
    return flat if len(flat) <= 100 else flat[:99] + "~"
