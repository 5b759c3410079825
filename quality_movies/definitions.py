"""The one Definitions object: assets, checks, jobs, sensors and the resources of this environment.

Each resource is chosen from the environment alone: a variable that names an AWS service
switches that resource to it (see the README's "On AWS"); without it the local stand-in runs.
`QUALITY_MOVIES_DEPLOYMENT` says which mixes are allowed (see `deployment_from_env`), so that a
container meant for AWS never quietly runs part of the pipeline on local stand-ins.
"""

import os
import re
from pathlib import Path

import dagster as dg

from quality_movies.assets import catalog, history, landing, quality, warehouse
from quality_movies.jobs import ingest_landed_file, replay_quarantine
from quality_movies.landing_events import QUEUE_URL_VARIABLE, LandingQueue, landing_events_sensor
from quality_movies.resources.catalog import Catalog, GlueCatalog, LocalCatalog
from quality_movies.resources.embedded_warehouse import EmbeddedWarehouse
from quality_movies.resources.lake import NOTIFICATIONS, Lake
from quality_movies.resources.local_lake import LocalLake
from quality_movies.resources.notifier import Notifier, OutboxNotifier, SnsNotifier
from quality_movies.resources.s3_lake import S3Lake
from quality_movies.resources.warehouse import RedshiftWarehouse, Warehouse
from quality_movies.ruleset_config import load_ruleset
from quality_movies.sensors import landing_sensor, notify_run_failure

HOME_VARIABLE = "QUALITY_MOVIES_HOME"
DEFAULT_HOME = ".quality_movies"


def local_home() -> Path:
    """Folder of the local lake, catalog and warehouse (`QUALITY_MOVIES_HOME`, default `./.quality_movies`)."""
    return Path(os.environ.get(HOME_VARIABLE, DEFAULT_HOME)).resolve()


def _set(name: str) -> bool:
    return bool(os.environ.get(name))


def _aws_common() -> dict:
    """Region and endpoint shared by the AWS clients, only where the environment sets them."""
    common = {}
    if _set("AWS_REGION") or _set("AWS_DEFAULT_REGION"):
        common["region"] = dg.EnvVar("AWS_REGION" if _set("AWS_REGION") else "AWS_DEFAULT_REGION")
    if _set("AWS_ENDPOINT_URL"):
        common["endpoint_url"] = dg.EnvVar("AWS_ENDPOINT_URL")
    return common


def lake_from_env(home: Path) -> Lake:
    landing = (
        {"landing_prefix": dg.EnvVar("QUALITY_MOVIES_LANDING_PREFIX")} if _set("QUALITY_MOVIES_LANDING_PREFIX") else {}
    )
    if _set("QUALITY_MOVIES_BUCKET"):
        return S3Lake(bucket=dg.EnvVar("QUALITY_MOVIES_BUCKET"), **landing, **_aws_common())
    return LocalLake(root=str(home / "lake"), **landing)


def catalog_from_env(home: Path) -> Catalog:
    if _set("QUALITY_MOVIES_GLUE_DATABASE"):
        return GlueCatalog(database=dg.EnvVar("QUALITY_MOVIES_GLUE_DATABASE"), **_aws_common())
    return LocalCatalog(root=str(home / "catalog"))


def notifier_from_env(home: Path) -> Notifier:
    if _set("QUALITY_MOVIES_SNS_TOPIC_ARN"):
        return SnsNotifier(topic_arn=dg.EnvVar("QUALITY_MOVIES_SNS_TOPIC_ARN"), **_aws_common())
    return OutboxNotifier(path=str(home / "lake" / NOTIFICATIONS / "outbox.jsonl"))


def _warehouse_names() -> dict[str, dg.EnvVar]:
    """Schema, table and view names, where the environment sets them (validated when used)."""
    return {
        f"{kind}_name": dg.EnvVar(f"QUALITY_MOVIES_WAREHOUSE_{kind.upper()}")
        for kind in ("schema", "table", "view")
        if _set(f"QUALITY_MOVIES_WAREHOUSE_{kind.upper()}")
    }


TRUE_WORDS, FALSE_WORDS = ("true", "1", "yes"), ("false", "0", "no")


class InvalidFlagError(ValueError):
    """A yes/no setting holds something else: guessing could turn TLS off without a word."""


def _flag(name: str) -> bool:
    """The variable's yes/no value (true/false, 1/0, yes/no, any case); anything else is refused, loudly."""
    value = os.environ[name].strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise InvalidFlagError(
        f"{name}={os.environ[name]!r} is not a yes/no value: use one of {', '.join(TRUE_WORDS + FALSE_WORDS)}"
    )


def warehouse_from_env(home: Path, lake: Lake) -> Warehouse:
    if not _set("QUALITY_MOVIES_REDSHIFT_HOST"):
        return EmbeddedWarehouse(data_dir=str(home / "warehouse"), **_warehouse_names())
    settings: dict[str, object] = {
        field: dg.EnvVar(f"QUALITY_MOVIES_REDSHIFT_{field.upper()}")
        for field in ("database", "user", "password", "db_user", "cluster_identifier", "copy_iam_role")
        if _set(f"QUALITY_MOVIES_REDSHIFT_{field.upper()}")
    }
    if _set("QUALITY_MOVIES_REDSHIFT_PORT"):
        settings["port"] = dg.EnvVar.int("QUALITY_MOVIES_REDSHIFT_PORT")
    for flag in ("iam", "ssl"):
        if _set(f"QUALITY_MOVIES_REDSHIFT_{flag.upper()}"):
            settings[flag] = _flag(f"QUALITY_MOVIES_REDSHIFT_{flag.upper()}")
    if isinstance(lake, S3Lake):
        settings["copy_stage"] = lake
    region = _aws_common().get("region")
    return RedshiftWarehouse(
        host=dg.EnvVar("QUALITY_MOVIES_REDSHIFT_HOST"),
        **settings,
        **_warehouse_names(),
        **({"region": region} if region else {}),
    )


DEPLOYMENT_VARIABLE = "QUALITY_MOVIES_DEPLOYMENT"
DEPLOYMENTS = ("local", "aws", "mixed")
# The variables that switch a resource to its AWS service.
AWS_SWITCHES = (
    "QUALITY_MOVIES_BUCKET",
    "QUALITY_MOVIES_GLUE_DATABASE",
    "QUALITY_MOVIES_SNS_TOPIC_ARN",
    "QUALITY_MOVIES_REDSHIFT_HOST",
)


# A Redshift host on this machine's loopback is a local Redshift-protocol endpoint, never AWS.
LOOPBACK_HOSTS = re.compile(r"localhost|127(\.\d{1,3}){3}|::1|\[::1\]", re.IGNORECASE)


class DeploymentConfigError(ValueError):
    """The environment asks for part of AWS: refusing beats running the rest on local stand-ins."""


def missing_aws_variables() -> list[str]:
    """Every variable a complete AWS deployment needs that the environment leaves unset, in one list."""
    missing = [name for name in (*AWS_SWITCHES, "QUALITY_MOVIES_REDSHIFT_DATABASE") if not _set(name)]
    if not (_set("AWS_REGION") or _set("AWS_DEFAULT_REGION")):
        missing.append("AWS_REGION (or AWS_DEFAULT_REGION)")
    iam = _set("QUALITY_MOVIES_REDSHIFT_IAM") and _flag("QUALITY_MOVIES_REDSHIFT_IAM")
    credentials = ("DB_USER", "CLUSTER_IDENTIFIER") if iam else ("USER", "PASSWORD")
    missing += [name for name in (f"QUALITY_MOVIES_REDSHIFT_{field}" for field in credentials) if not _set(name)]
    return missing


def _emulated(switch: str) -> bool:
    """Whether the service `switch` names is a stand-in on this machine (moto, a loopback Redshift), not AWS."""
    if switch == "QUALITY_MOVIES_REDSHIFT_HOST":
        return bool(LOOPBACK_HOSTS.fullmatch(os.environ[switch].strip()))
    return _set("AWS_ENDPOINT_URL")


def deployment_from_env() -> str:
    """The deployment `QUALITY_MOVIES_DEPLOYMENT` names, once the environment is checked to be complete for it.

    - `aws`: every resource on AWS; any missing variable is refused, all of them named in one error.
    - `local` (the default): each resource on AWS only if its variable is set, and then all of them must
      be (a complete AWS set); a partial set is refused. Services emulated on this machine (S3, Glue and SNS
      behind `AWS_ENDPOINT_URL`, e.g. moto; a Redshift host on the loopback) do not count as AWS, so any
      mix of them runs: the integration tests run that way.
    - `mixed`: any mix, each variable switching its own resource, also on real AWS (e.g. an S3 lake
      with the embedded warehouse on a laptop); it has to be asked for by name.
    """
    deployment = os.environ.get(DEPLOYMENT_VARIABLE, "").strip().lower() or "local"
    if deployment not in DEPLOYMENTS:
        raise DeploymentConfigError(
            f"{DEPLOYMENT_VARIABLE}={os.environ[DEPLOYMENT_VARIABLE]!r} is not a deployment: use one of "
            f"{', '.join(DEPLOYMENTS)}"
        )
    if deployment == "aws" and (missing := missing_aws_variables()):
        raise DeploymentConfigError(
            f"{DEPLOYMENT_VARIABLE}=aws needs the full AWS configuration; not set: {', '.join(missing)}"
        )
    switched = [name for name in AWS_SWITCHES if _set(name) and not _emulated(name)]
    if deployment == "local" and switched and (missing := missing_aws_variables()):
        raise DeploymentConfigError(
            f"partial AWS configuration: {', '.join(switched)} set, but not {', '.join(missing)}; the rest would "
            f"run on local stand-ins. Set them (and {DEPLOYMENT_VARIABLE}=aws), unset the AWS variables for a "
            f"local run, or set {DEPLOYMENT_VARIABLE}=mixed to run this mix on purpose"
        )
    return deployment


def landing_queue_from_env() -> LandingQueue | None:
    """The SQS queue of the bucket's object-created events, when `QUALITY_MOVIES_LANDING_QUEUE_URL` names one."""
    if not _set(QUEUE_URL_VARIABLE):
        return None
    if not _set("QUALITY_MOVIES_BUCKET"):
        raise DeploymentConfigError(f"{QUEUE_URL_VARIABLE} announces a bucket's objects: set QUALITY_MOVIES_BUCKET too")
    return LandingQueue(queue_url=dg.EnvVar(QUEUE_URL_VARIABLE), **_aws_common())


def resources_from_env(home: Path) -> dict[str, object]:
    """The resources this environment asks for; local stand-ins wherever no AWS variable is set.

    Raises `DeploymentConfigError` when the environment is incomplete for its deployment (`deployment_from_env`).
    """
    deployment_from_env()
    lake = lake_from_env(home)
    queue = landing_queue_from_env()
    return {
        "lake": lake,
        "catalog": catalog_from_env(home),
        "notifier": notifier_from_env(home),
        "warehouse": warehouse_from_env(home, lake),
        **({"landing_queue": queue} if queue else {}),
    }


def resolved(resource: dg.ConfigurableResource, instance: dg.DagsterInstance | None = None) -> dg.ConfigurableResource:
    """A resource with its `EnvVar` settings read, for use outside a Dagster run (CLI, tests).

    Initialised on `instance` when given: without one, Dagster makes a throw-away ephemeral instance (a third of
    a second). The context closes at once: left open, it kept that instance registered as the current one, and
    a later definitions load in the same process failed on it once it was collected ("undefined DagsterInstance
    weakref").
    """
    with dg.build_resources({"resource": resource}, instance=instance) as built:
        return built.resource


def build_definitions(home: Path | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=[
            landing.landed_file,
            catalog.crawled_table,
            quality.build_quality_stage(load_ruleset()),
            *warehouse.named_by(**{field: name.get_value() for field, name in _warehouse_names().items()}),
            history.dq_summary,
        ],
        jobs=[ingest_landed_file, replay_quarantine],
        # With a queue of S3 events, landing is by event (no listing); otherwise the landing prefix is listed.
        sensors=[landing_events_sensor if _set(QUEUE_URL_VARIABLE) else landing_sensor, notify_run_failure],
        resources=resources_from_env(home or local_home()),
    )


defs = build_definitions()
