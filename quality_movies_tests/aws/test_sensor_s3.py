"""The landing sensor on a real S3 endpoint: listing past one page of 1,000 keys, ETag re-uploads."""

import dagster as dg
import pytest

from quality_movies.resources.s3_lake import S3Lake
from quality_movies.sensors import landing_sensor

pytestmark = pytest.mark.aws


def _tick(lake: S3Lake, instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    with dg.build_sensor_context(instance_ref=instance.get_ref(), cursor=cursor, resources={"lake": lake}) as context:
        result = landing_sensor(context)
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def test_more_than_a_thousand_landed_keys_are_all_sensed_once(aws):
    s3 = aws.client("s3")
    for n in range(1_005):
        s3.put_object(Bucket=aws.bucket, Key=f"input_data/batch/{n:04d}.csv", Body=b"a\n1\n")
    s3.put_object(Bucket=aws.bucket, Key="input_data/batch/readme.md", Body=b"not data")
    lake = S3Lake(bucket=aws.bucket, region="us-east-1", endpoint_url=aws.endpoint)

    with dg.instance_for_test() as instance:
        first = _tick(lake, instance, None)
        second = _tick(lake, instance, first.cursor)
        assert len(instance.get_dynamic_partitions("landed_files")) == 1_005

    assert len({r.partition_key for r in first.run_requests}) == 1_005
    assert second.run_requests == []


def test_an_object_overwritten_in_s3_with_new_content_is_run_again(aws):
    s3 = aws.client("s3")
    s3.put_object(Bucket=aws.bucket, Key="input_data/a b é.csv", Body=b"a\n1\n")
    lake = S3Lake(bucket=aws.bucket, region="us-east-1", endpoint_url=aws.endpoint)

    with dg.instance_for_test() as instance:
        first = _tick(lake, instance, None)
        s3.put_object(Bucket=aws.bucket, Key="input_data/a b é.csv", Body=b"a\n1\n2\n")
        second = _tick(lake, instance, first.cursor)

    (before,), (after,) = first.run_requests, second.run_requests
    assert before.partition_key == after.partition_key == "a b é.csv"
    assert before.tags["quality_movies/etag"] != after.tags["quality_movies/etag"]
