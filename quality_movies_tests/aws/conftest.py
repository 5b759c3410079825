"""A real S3/SNS/SQS/Glue endpoint over HTTP on 127.0.0.1 (moto's server), and the AWS environment."""

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
_names = itertools.count()


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class AwsAccount:
    endpoint: str
    bucket: str
    database: str
    topic_arn: str
    queue_url: str

    def client(self, service: str):
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint)

    def keys(self, prefix: str) -> list[str]:
        listed = self.client("s3").list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for item in listed.get("Contents", [])]

    def storage_options(self) -> dict[str, str]:
        return {"aws_endpoint_url": self.endpoint, "aws_allow_http": "true", "aws_region": REGION}

    def messages(self) -> list[dict]:
        """Every SNS notification that reached the subscribed queue, as SNS delivered it."""
        sqs, found = self.client("sqs"), []
        while batch := sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages"):
            found += [json.loads(message["Body"]) for message in batch]
            sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )
        return found


@pytest.fixture
def aws(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> AwsAccount:
    """A fresh bucket, Glue database and SNS topic (with an SQS subscriber), named in the environment."""
    n = next(_names)
    for name, value in {
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    account = AwsAccount(aws_endpoint, f"movies-lake-{n}", f"movies_{n}", "", "")
    account.client("s3").create_bucket(Bucket=account.bucket)
    account.topic_arn = account.client("sns").create_topic(Name=f"quality-movies-{n}")["TopicArn"]
    sqs = account.client("sqs")
    account.queue_url = sqs.create_queue(QueueName=f"mailbox-{n}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=account.queue_url, AttributeNames=["QueueArn"])["Attributes"]
    account.client("sns").subscribe(TopicArn=account.topic_arn, Protocol="sqs", Endpoint=queue_arn["QueueArn"])
    monkeypatch.setenv("QUALITY_MOVIES_BUCKET", account.bucket)
    monkeypatch.setenv("QUALITY_MOVIES_GLUE_DATABASE", account.database)
    monkeypatch.setenv("QUALITY_MOVIES_SNS_TOPIC_ARN", account.topic_arn)
    return account
