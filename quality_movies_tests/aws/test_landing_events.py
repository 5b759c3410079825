"""Landing by S3 event notifications through SQS (moto's server sends them as S3 does): each file once, no listing."""

import dagster as dg
import pytest

from quality_movies.definitions import DeploymentConfigError, build_definitions, resources_from_env
from quality_movies.landing_events import LandingQueue, landing_events_sensor
from quality_movies_tests.conftest import IMDB_CSV

pytestmark = pytest.mark.aws


@pytest.fixture
def landing_queue(aws) -> LandingQueue:
    """A queue receiving the bucket's object-created events under the landing prefix, as the template sets it."""
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=f"{aws.bucket}-events", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.client("s3").put_bucket_notification_configuration(
        Bucket=aws.bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "input_data/"}]}},
                }
            ]
        },
    )
    return LandingQueue(queue_url=url, region="us-east-1", endpoint_url=aws.endpoint)


def _tick(home, instance: dg.DagsterInstance, queue: LandingQueue, cursor: str | None) -> dg.SensorResult:
    """One evaluation, its partitions added as the daemon would."""
    lake = resources_from_env(home)["lake"]
    resources = {"lake": lake, "landing_queue": queue}
    with dg.build_sensor_context(instance_ref=instance.get_ref(), cursor=cursor, resources=resources) as context:
        result = landing_events_sensor(context)
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def _queued(aws, queue: LandingQueue) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=queue.queue_url, AttributeNames=names)
    return sum(int(attributes["Attributes"][name]) for name in names)


def test_each_landed_csv_is_requested_once_and_its_message_deleted_by_the_next_tick(aws, home, landing_queue):
    s3 = aws.client("s3")
    for key in ("input_data/top movies.csv", "input_data/2024/07/b.csv", "input_data/notes.txt", "elsewhere/c.csv"):
        s3.upload_file(str(IMDB_CSV), aws.bucket, key)

    with dg.instance_for_test() as instance:
        first = _tick(home, instance, landing_queue, None)
        assert sorted(request.partition_key for request in first.run_requests) == [
            "2024%2F07%2Fb.csv",
            "top movies.csv",
        ]
        second = _tick(home, instance, landing_queue, first.cursor)

    assert second.run_requests == []
    assert _queued(aws, landing_queue) == 0  # deleted once their run requests were recorded with the cursor


def test_a_message_delivered_again_before_deletion_asks_for_the_same_run(aws, home, landing_queue):
    attributes = {"VisibilityTimeout": "0"}  # a received message is delivered again at once
    aws.client("sqs").set_queue_attributes(QueueUrl=landing_queue.queue_url, Attributes=attributes)
    aws.client("s3").upload_file(str(IMDB_CSV), aws.bucket, "input_data/a.csv")

    with dg.instance_for_test() as instance:
        first = _tick(home, instance, landing_queue, None)
        again = _tick(home, instance, landing_queue, None)  # the first tick's result was never recorded

    assert [r.run_key for r in first.run_requests] == [r.run_key for r in again.run_requests]  # deduplicated by key
    assert len(first.run_requests) == 1


def test_a_burst_of_200_files_is_requested_exactly_once_across_ticks(aws, home, landing_queue):
    s3 = aws.client("s3")
    for number in range(200):
        s3.put_object(Bucket=aws.bucket, Key=f"input_data/burst/{number:03}.csv", Body=IMDB_CSV.read_bytes()[:2000])

    requested, cursor = [], None
    with dg.instance_for_test() as instance:
        for _ in range(10):
            tick = _tick(home, instance, landing_queue, cursor)
            requested += [request.run_key for request in tick.run_requests]
            cursor = tick.cursor
            if not tick.run_requests and _queued(aws, landing_queue) == 0:
                break

    assert len(requested) == len(set(requested)) == 200


def test_content_already_ingested_is_not_requested_again(aws, home, empty_warehouse, landing_queue):
    s3 = aws.client("s3")
    s3.upload_file(str(IMDB_CSV), aws.bucket, "input_data/a.csv")
    job = build_definitions(home).resolve_job_def("ingest_landed_file")

    with dg.instance_for_test() as instance:
        tick = _tick(home, instance, landing_queue, None)
        (request,) = tick.run_requests
        assert job.execute_in_process(partition_key=request.partition_key, instance=instance, tags=request.tags).success
        assert aws.keys("input_data/") == []  # loaded: it left the landing prefix
        s3.upload_file(str(IMDB_CSV), aws.bucket, "input_data/a.csv")  # same bytes (same ETag), a new event
        assert _tick(home, instance, landing_queue, tick.cursor).run_requests == []


def test_a_queue_in_the_environment_lands_by_event_instead_of_listing(aws, home, landing_queue, monkeypatch):
    monkeypatch.setenv("QUALITY_MOVIES_LANDING_QUEUE_URL", landing_queue.queue_url)

    sensors = {sensor.name for sensor in build_definitions(home).sensors}

    assert "landing_events_sensor" in sensors and "landing_sensor" not in sensors
    monkeypatch.delenv("QUALITY_MOVIES_BUCKET")
    with pytest.raises(DeploymentConfigError, match="QUALITY_MOVIES_BUCKET"):
        resources_from_env(home)
