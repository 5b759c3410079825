"""The production instance (deploy/dagster.yaml) and the deployment switch that keeps AWS all-or-nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.ref import InstanceRef
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_aws.ecs import EcsRunLauncher
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import pg_url_from_config

from quality_movies.definitions import DeploymentConfigError, deployment_from_env, resources_from_env
from quality_movies.resources.catalog import GlueCatalog, LocalCatalog
from quality_movies.resources.embedded_warehouse import EmbeddedWarehouse
from quality_movies.resources.local_lake import LocalLake
from quality_movies.resources.notifier import OutboxNotifier, SnsNotifier
from quality_movies.resources.s3_lake import S3Lake
from quality_movies.resources.warehouse import RedshiftWarehouse

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
PRODUCTION_ENV = {
    "DAGSTER_PG_HOST": "dagster.abc123.eu-west-1.rds.amazonaws.com",
    "DAGSTER_PG_PORT": "5432",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_PG_USERNAME": "dagster",
    "DAGSTER_PG_PASSWORD": "from-secrets-manager",
    # ECS sets both in every task; Dagster's own boto3 clients read the second.
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "QUALITY_MOVIES_BUCKET": "movies-lake",
}
# A complete AWS configuration with password authentication to Redshift.
FULL_AWS = {
    "QUALITY_MOVIES_BUCKET": "movies-lake",
    "QUALITY_MOVIES_GLUE_DATABASE": "movies",
    "QUALITY_MOVIES_SNS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:quality-movies",
    "QUALITY_MOVIES_REDSHIFT_HOST": "movies.abc123.eu-west-1.redshift.amazonaws.com",
    "QUALITY_MOVIES_REDSHIFT_DATABASE": "dev",
    "QUALITY_MOVIES_REDSHIFT_USER": "loader",
    "QUALITY_MOVIES_REDSHIFT_PASSWORD": "from-secrets-manager",
    "AWS_REGION": "eu-west-1",
}


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The environment without any project or AWS setting, whatever the machine running the tests has."""
    for name in list(os.environ):
        if name.startswith(("QUALITY_MOVIES_", "AWS_", "DAGSTER_PG_")):
            monkeypatch.delenv(name)
    return monkeypatch


def _set(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


# --- deploy/dagster.yaml -------------------------------------------------------------------------------------


@pytest.fixture
def production(bare_env: pytest.MonkeyPatch) -> InstanceRef:
    """deploy/dagster.yaml validated by Dagster's instance schema, as the webserver and daemon load it."""
    _set(bare_env, PRODUCTION_ENV)
    return InstanceRef.from_dir(str(DEPLOY))


def test_the_production_instance_validates_against_dagsters_schema(production):
    assert production.storage_data.class_name == "DagsterPostgresStorage"
    assert production.settings["run_monitoring"]["enabled"] is True
    assert production.settings["run_retries"] == {
        "enabled": True,
        "max_retries": 1,
        "retry_on_asset_or_op_failure": False,
    }


def test_its_postgres_storage_is_read_from_the_environment(production):
    storage = production.storage_data
    config = process_config(DagsterPostgresStorage.config_type(), yaml.safe_load(storage.config_yaml))
    assert config.success, config.errors
    assert pg_url_from_config(config.value) == (
        "postgresql://dagster:from-secrets-manager@dagster.abc123.eu-west-1.rds.amazonaws.com:5432/dagster"
    )


def test_its_run_launcher_is_ecs_and_accepts_its_config(production):
    launcher = production.run_launcher_data.rehydrate(as_type=EcsRunLauncher)
    assert launcher.use_current_ecs_task_config is True
    assert launcher.secrets_tags == []  # no ListSecrets call on each launch


def test_its_step_logs_go_to_the_lake_bucket(production):
    logs = production.compute_logs_data.rehydrate(as_type=S3ComputeLogManager)
    assert (logs._s3_bucket, logs._s3_prefix) == ("movies-lake", "dagster/compute_logs")


def test_its_queue_limits_runs_and_one_run_per_file_as_locally(production):
    coordinator = production.run_coordinator_data.rehydrate(as_type=QueuedRunCoordinator)
    local = yaml.safe_load((REPO / "dagster_instance.yaml").read_text())["run_coordinator"]["config"]
    queue = coordinator.get_run_queue_config()
    assert queue.max_concurrent_runs == 10
    assert list(queue.tag_concurrency_limits) == local["tag_concurrency_limits"]


def test_the_image_pins_dagster_postgres_with_dagster(production):
    from importlib.metadata import requires

    setup_py = (REPO / "setup.py").read_text()
    installer = (DEPLOY / "install-wheel.sh").read_text()
    pin = re.search(r"dagster-postgres==[\d.]+", installer).group()
    dagster = re.search(r'"(dagster==[\d.]+)"', setup_py).group(1)
    assert f'"{pin}"' in setup_py  # the dev extras test the version the image installs
    assert dagster in requires("dagster-postgres")  # and that version moves with the dagster we pin


# --- QUALITY_MOVIES_DEPLOYMENT ---------------------------------------------------------------------------------


def test_aws_with_nothing_set_names_every_missing_variable_at_once(bare_env, tmp_path):
    bare_env.setenv("QUALITY_MOVIES_DEPLOYMENT", "aws")
    with pytest.raises(DeploymentConfigError) as refused:
        resources_from_env(tmp_path)
    for name in (*FULL_AWS, "AWS_REGION (or AWS_DEFAULT_REGION)"):
        assert name in str(refused.value)


def test_aws_with_iam_auth_asks_for_the_db_user_and_cluster_not_a_password(bare_env):
    complete = {k: v for k, v in FULL_AWS.items() if not k.endswith(("_USER", "_PASSWORD"))}
    _set(bare_env, {**complete, "QUALITY_MOVIES_DEPLOYMENT": "aws", "QUALITY_MOVIES_REDSHIFT_IAM": "true"})
    with pytest.raises(DeploymentConfigError) as refused:
        deployment_from_env()
    message = str(refused.value)
    assert "QUALITY_MOVIES_REDSHIFT_DB_USER, QUALITY_MOVIES_REDSHIFT_CLUSTER_IDENTIFIER" in message
    assert "PASSWORD" not in message


def test_aws_with_the_full_set_runs_every_resource_on_aws(bare_env, tmp_path):
    _set(bare_env, {**FULL_AWS, "QUALITY_MOVIES_DEPLOYMENT": "aws"})
    resources = resources_from_env(tmp_path)
    assert [type(resources[name]) for name in ("lake", "catalog", "notifier", "warehouse")] == [
        S3Lake,
        GlueCatalog,
        SnsNotifier,
        RedshiftWarehouse,
    ]


def test_a_bucket_without_redshift_is_refused_instead_of_starting_a_local_warehouse(bare_env, tmp_path):
    _set(bare_env, {"QUALITY_MOVIES_BUCKET": "movies-lake", "AWS_REGION": "eu-west-1"})
    with pytest.raises(DeploymentConfigError, match="partial AWS configuration: QUALITY_MOVIES_BUCKET set") as refused:
        resources_from_env(tmp_path)
    assert "QUALITY_MOVIES_REDSHIFT_HOST" in str(refused.value)
    assert not (tmp_path / "warehouse").exists()


def test_by_default_nothing_set_runs_every_resource_locally(bare_env, tmp_path):
    resources = resources_from_env(tmp_path)
    assert [type(resources[name]) for name in ("lake", "catalog", "notifier", "warehouse")] == [
        LocalLake,
        LocalCatalog,
        OutboxNotifier,
        EmbeddedWarehouse,
    ]


def test_by_default_a_complete_aws_set_runs_on_aws(bare_env, tmp_path):
    _set(bare_env, FULL_AWS)
    assert deployment_from_env() == "local"
    assert isinstance(resources_from_env(tmp_path)["warehouse"], RedshiftWarehouse)


def test_mixed_runs_a_partial_set_on_purpose(bare_env, tmp_path):
    _set(bare_env, {"QUALITY_MOVIES_BUCKET": "movies-lake", "QUALITY_MOVIES_DEPLOYMENT": "mixed"})
    resources = resources_from_env(tmp_path)
    assert (type(resources["lake"]), type(resources["warehouse"])) == (S3Lake, EmbeddedWarehouse)


def test_a_partial_set_against_an_emulated_endpoint_runs_as_the_integration_tests_do(bare_env, tmp_path):
    _set(bare_env, {"QUALITY_MOVIES_BUCKET": "movies-lake", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"})
    assert isinstance(resources_from_env(tmp_path)["lake"], S3Lake)


def test_a_redshift_host_on_the_loopback_is_a_local_endpoint_not_aws(bare_env, tmp_path):
    _set(bare_env, {"QUALITY_MOVIES_REDSHIFT_HOST": "127.0.0.1", "QUALITY_MOVIES_REDSHIFT_SSL": "false"})
    resources = resources_from_env(tmp_path)
    assert (type(resources["lake"]), type(resources["warehouse"])) == (LocalLake, RedshiftWarehouse)


def test_a_remote_redshift_host_alone_is_refused(bare_env, tmp_path):
    bare_env.setenv("QUALITY_MOVIES_REDSHIFT_HOST", "movies.abc123.eu-west-1.redshift.amazonaws.com")
    with pytest.raises(DeploymentConfigError, match="QUALITY_MOVIES_REDSHIFT_HOST set, but not QUALITY_MOVIES_BUCKET"):
        resources_from_env(tmp_path)


def test_an_unknown_deployment_is_refused(bare_env):
    bare_env.setenv("QUALITY_MOVIES_DEPLOYMENT", "production")
    with pytest.raises(DeploymentConfigError, match="'production' is not a deployment: use one of local, aws, mixed"):
        deployment_from_env()


def test_the_code_location_refuses_to_load_with_a_partial_set(bare_env, tmp_path):
    env = {**os.environ, "QUALITY_MOVIES_DEPLOYMENT": "aws", "QUALITY_MOVIES_BUCKET": "movies-lake"}
    env["QUALITY_MOVIES_HOME"] = str(tmp_path)
    loaded = subprocess.run(
        [sys.executable, "-c", "import quality_movies.definitions"], env=env, capture_output=True, text=True
    )
    assert loaded.returncode != 0
    assert "DeploymentConfigError: QUALITY_MOVIES_DEPLOYMENT=aws needs the full AWS configuration" in loaded.stderr
