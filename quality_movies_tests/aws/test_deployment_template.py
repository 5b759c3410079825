"""The CloudFormation template (deploy/cloudformation.yaml): valid, complete for the code, and no wider than it.

The AWS calls are recorded from the code itself (a whole ingest run on the moto server, through boto3's own
event hooks), so a call added to the code without its permission fails here, not in a customer's account.
"""

import re
from pathlib import Path

import boto3
import dagster as dg
import pytest
import yaml
from cfnlint.api import lint_file
from cfnlint.decode import decode_str

from quality_movies.definitions import build_definitions, resources_from_env
from quality_movies.sensors import landing_sensor
from quality_movies_tests.conftest import IMDB_CSV

pytestmark = pytest.mark.aws
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
TEMPLATE = DEPLOY / "cloudformation.yaml"
# S3 operations whose IAM action is named otherwise (the others are `<service>:<Operation>`).
S3_ACTIONS = {
    "ListObjectsV2": ("s3:ListBucket",),
    "HeadObject": ("s3:GetObject",),
    "CopyObject": ("s3:GetObject", "s3:PutObject"),
    "UploadPartCopy": ("s3:GetObject", "s3:PutObject"),
    "CreateMultipartUpload": ("s3:PutObject",),
    "UploadPart": ("s3:PutObject",),
    "CompleteMultipartUpload": ("s3:PutObject",),
    # The landed file's removal after the load is a conditional delete (If-Match: the ETag read), which AWS
    # authorizes only with both actions.
    "DeleteObject": ("s3:DeleteObject", "s3:GetObject"),
}


def _template() -> dict:
    template, errors = decode_str(TEMPLATE.read_text())
    assert not errors, errors
    return template


def _allowed_actions(template: dict, role: str) -> set[str]:
    """Every action the role's inline policies and the policies attached to it allow."""
    resources = template["Resources"]
    documents = [policy["PolicyDocument"] for policy in resources[role]["Properties"].get("Policies", [])]
    documents += [
        resource["Properties"]["PolicyDocument"]
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in resource["Properties"]["Roles"]
    ]
    actions = set()
    for document in documents:
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            found = statement["Action"]
            actions |= {found} if isinstance(found, str) else set(found)
    return actions


def _iam_actions(operation: str) -> tuple[str, ...]:
    service, name = operation.split(".")
    return S3_ACTIONS.get(name, (f"s3:{name}",)) if service == "s3" else (f"{service}:{name}",)


def test_the_template_passes_cfn_lint():
    assert [str(match) for match in lint_file(TEMPLATE)] == []


def test_no_action_of_the_pipeline_role_is_a_wildcard():
    actions = _allowed_actions(_template(), "PipelineRole")
    assert not [action for action in actions if "*" in action]


def test_every_aws_call_of_an_ingest_run_is_allowed_to_the_pipeline_role(aws, home, empty_warehouse, monkeypatch):
    called: set[str] = set()
    session = boto3.Session()  # every boto3.client() of the code comes from this default session
    session.events.register("before-call", lambda event_name, **_: called.add(event_name.split(".", 1)[1]))
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)
    aws.client("s3").upload_file(str(IMDB_CSV), aws.bucket, "input_data/imdb_movies_rating.csv")
    called.clear()  # the upload is the user's, not the pipeline's

    with dg.instance_for_test() as instance:
        lake = resources_from_env(home)["lake"]
        with dg.build_sensor_context(instance_ref=instance.get_ref(), resources={"lake": lake}) as context:
            tick = landing_sensor(context)
        for request in tick.dynamic_partitions_requests:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        (request,) = tick.run_requests
        job = build_definitions(home).resolve_job_def("ingest_landed_file")
        assert job.execute_in_process(partition_key=request.partition_key, instance=instance, tags=request.tags).success

    assert {"s3.ListObjectsV2", "glue.CreateTable", "sns.Publish", "s3.DeleteObject"} <= called  # saw the run
    assert aws.keys("input_data/") == []  # the DeleteObject: the loaded file left the landing prefix
    needed = {action for operation in called for action in _iam_actions(operation)}
    assert needed - _allowed_actions(_template(), "PipelineRole") == set()


def test_the_task_definitions_give_the_code_and_the_instance_every_variable_they_read():
    resources = _template()["Resources"]
    (container,) = resources["DaemonTask"]["Properties"]["ContainerDefinitions"]
    provided = {item["Name"] for item in container["Environment"]} | {item["Name"] for item in container["Secrets"]}
    instance_reads = set(re.findall(r"env: (\w+)", (DEPLOY / "dagster.yaml").read_text()))
    assert instance_reads <= provided
    assert {"QUALITY_MOVIES_DEPLOYMENT", "QUALITY_MOVIES_BUCKET", "QUALITY_MOVIES_GLUE_DATABASE"} <= provided
    run_launcher = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())["run_launcher"]["config"]
    assert container["Name"] == run_launcher["container_name"]
