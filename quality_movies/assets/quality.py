"""Quality: evaluate the DQDL ruleset on every row, check each rule, and route rows to good or bad.

The stage's logic lives in `quality_movies.stage` (no Dagster there): this module runs it as one step
with three assets and one asset check per rule, and puts its outputs in the lake; every evaluation's history
goes to the lake and to the warehouse's `dq_history` (`assets/history.py`), also when the run then fails.
Steps hand each other lake keys, not frames: the good rows wait as Parquet at `staging/good_rows/` for the load.
The ruleset is configuration, so the assets are built from it (`build_quality_stage`).
"""

import json
import re
from pathlib import Path, PurePosixPath

import dagster as dg
import polars as pl

from quality_movies import dqdl
from quality_movies.assets.catalog import crawled_table, register_crawl
from quality_movies.assets.failures import bad_input_explained
from quality_movies.assets.history import record_history
from quality_movies.assets.landing import landed_file, landed_version
from quality_movies.assets.metadata import (
    OWNERS,
    SAMPLE_ROWS,
    column_schema,
    markdown_table,
    per_file_check,
    plotted,
    score_percent,
    tags,
)
from quality_movies.assets.run_outputs import archived_meanwhile, remove_earlier_outputs
from quality_movies.metric_history import LakeMetricHistory
from quality_movies.partitions import landed_files
from quality_movies.resources.catalog import Catalog
from quality_movies.resources.lake import (
    BAD_RECORDS,
    PROCESSED,
    RULE_OUTCOME,
    Fingerprint,
    Lake,
    run_output_key,
    staged_good_rows_key,
)
from quality_movies.resources.warehouse import Warehouse
from quality_movies.ruleset_config import RulesetConfig
from quality_movies.stage import BAD_RECORDS_FILE, GOOD_ROWS_FILE, SOURCE_ROW, StageResult, run_stage

QUALITY_STAGE = "quality_stage"
EVALUATED, GOOD, BAD = dg.AssetKey("dq_evaluated_rows"), dg.AssetKey("good_rows"), dg.AssetKey("bad_rows")
ROWS_CONSERVED = "rows_conserved"
OPERATOR_WORDS = {">=": "gte", "<=": "lte", "!=": "ne", ">": "gt", "<": "lt", "=": "eq"}


class DatasetFailedError(dg.Failure):
    """The ruleset's `on_dataset_failure = "stop"` and a rule of severity error did not pass."""


def rule_check_names(rule_texts: list[str]) -> dict[str, str]:
    """A check name per rule text, derived from the text (`IsComplete "genre"` -> `iscomplete_genre`)."""
    names: dict[str, str] = {}
    for text in rule_texts:
        spelled = re.sub(r">=|<=|!=|>|<|=", lambda op: f" {OPERATOR_WORDS[op.group()]} ", text.lower())
        base = re.sub(r"[^a-z0-9]+", "_", spelled).strip("_")[:90] or "rule"
        name, n = base, 2
        while name in names.values():
            name, n = f"{base}_{n}", n + 1
        names[text] = name
    return names


def _rule_check_specs(config: RulesetConfig, names: dict[str, str]) -> list[dg.AssetCheckSpec]:
    specs = []
    for text, name in names.items():
        settings = config.settings_for(text)
        specs.append(
            per_file_check(
                name,
                asset=EVALUATED,
                description=f"DQDL rule `{text}` (severity {settings.severity}"
                + (", blocks the warehouse load)" if settings.blocking else ")"),
                blocking=settings.blocking,
                metadata={"rule": text, "severity": settings.severity, "ruleset": str(config.path)},
            )
        )
    return specs


def _store_run_output(lake: Lake, prefix: str, context: dg.AssetExecutionContext, source: Path) -> str:
    """Put this run's output of the file under `prefix`, beside earlier runs' ones (see `run_outputs`)."""
    key = run_output_key(prefix, context.partition_key, context.run_id, source.name)
    lake.store(source, key)
    return key


def landed_fingerprint(context: dg.AssetExecutionContext) -> Fingerprint | None:
    """The version of the landed file its `landed_file` step fingerprinted last (None if it never ran)."""
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=landed_file.key, asset_partitions=[context.partition_key]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return None
    return landed_version(records[0].asset_materialization)


def _failing_sample(result: StageResult, rule: str, columns: tuple[str, ...]) -> str:
    failing = result.failing_samples(rule, SAMPLE_ROWS)
    shown = [SOURCE_ROW, *(c for c in ("series_title", *columns) if c in failing.columns)]
    return markdown_table(failing.select(list(dict.fromkeys(shown))))


def _rule_check_results(config: RulesetConfig, names: dict[str, str], result: StageResult):
    columns = {rule.render(): getattr(rule, "columns", ()) for rule in config.ruleset.rules}
    for record in result.verdict.records():
        metadata = {
            "rule": record["rule"],
            "outcome": record["outcome"],
            "failing_rows": record["failing_rows"],
            "metrics": dg.MetadataValue.json(record["metrics"]),
        } | {name: plotted(value) for name, value in record["metrics"].items()}
        if record["reason"]:
            metadata["reason"] = record["reason"]
        if record["failing_rows"]:
            metadata["failing_sample"] = dg.MetadataValue.md(
                _failing_sample(result, record["rule"], columns[record["rule"]])
            )
        yield dg.AssetCheckResult(
            check_name=names[record["rule"]],
            asset_key=EVALUATED,
            passed=record["outcome"] == "Passed",
            severity=dg.AssetCheckSeverity.ERROR if record["severity"] == "error" else dg.AssetCheckSeverity.WARN,
            metadata=metadata,
        )


def _bad_rows_preview(result: StageResult) -> str:
    bad = result.failing_samples(rule=None, rows=SAMPLE_ROWS)
    shown = [SOURCE_ROW, "series_title", dqdl.FAIL_COLUMN, "ContractViolations"]
    return markdown_table(bad.select([c for c in shown if c in bad.columns]))


def _rule_figures(records: list[dict], names: dict[str, str]) -> dict[str, dg.MetadataValue]:
    """Each rule's failing rows and metrics as numbers the asset's Plots tab draws, one series per entry."""
    figures = {}
    for record in records:
        name = names[record["rule"]]
        if record["failing_rows"] is not None:
            figures[f"{name}: failing_rows"] = plotted(record["failing_rows"])
        figures |= {f"{name}: {metric}": plotted(value) for metric, value in record["metrics"].items()}
    return figures


def _evaluated_metadata(
    result: StageResult, names: dict[str, str], source_file: str, outcome_uri: str
) -> dict[str, object]:
    records = result.verdict.records()
    rules_table = pl.DataFrame([{k: r[k] for k in ("rule", "outcome", "failing_rows", "severity")} for r in records])
    return (
        {
            "dagster/row_count": result.rows_in,
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(c["name"], c["type"]) for c in result.columns]
            ),
            "source_file": source_file,
            "rows_in": result.rows_in,
            "rows_good": result.rows_good,
            "rows_bad": result.rows_bad,
            "dq_score": dg.MetadataValue.float(
                result.verdict.score if result.verdict.score is not None else float("nan")
            ),
            "dq_score_percent": dg.MetadataValue.float(score_percent(result.verdict.score)),
            "dq_result": result.verdict.score_text,
            "rules_passed": result.verdict.passed,
            "rules_total": len(records),
            "failed_rules": dg.MetadataValue.json([r["rule"] for r in records if r["outcome"] != "Passed"]),
            "rule_outcome": dg.MetadataValue.path(outcome_uri),
            "rules": dg.MetadataValue.md(markdown_table(rules_table)),
        }
        | _rule_figures(records, names)
        | result.table.metadata()
    )


def build_quality_stage(config: RulesetConfig) -> dg.AssetsDefinition:
    """The quality step for `config`'s ruleset: evaluated rows, good rows, bad rows, and their checks."""
    names = rule_check_names(config.rule_texts)

    @dg.multi_asset(
        name=QUALITY_STAGE,
        partitions_def=landed_files,
        specs=[
            dg.AssetSpec(
                EVALUATED,
                deps=[crawled_table],
                group_name="quality",
                tags=tags("quality"),
                kinds={"polars", "sns"},
                owners=OWNERS,
                description="Every row of the landed file evaluated with the DQDL ruleset "
                f"`{config.path.name}` on the crawled column types, with Glue Data Quality's row-level outcome "
                "columns (`DataQualityRulesPass`/`Fail`/`Skip`, `DataQualityEvaluationResult`); one asset check "
                "per rule, rule outcomes under `rule_outcome/`. The data-quality result is published as a "
                "notification (SNS, or the local outbox).",
            ),
            dg.AssetSpec(
                GOOD,
                deps=[EVALUATED],
                group_name="quality",
                tags=tags("quality"),
                kinds={"parquet"},
                owners=OWNERS,
                skippable=True,
                description="Rows that passed every rule, fit their crawled types and the warehouse contract, "
                "typed for the warehouse and staged as Parquet under `staging/good_rows/` for the load.",
            ),
            dg.AssetSpec(
                BAD,
                deps=[EVALUATED],
                group_name="quality",
                tags=tags("quality"),
                kinds={"json", "s3"},
                owners=OWNERS,
                skippable=True,
                description="Every other row, its text exactly as it landed, quarantined under `bad_records/` "
                "as JSON Lines with its outcome columns and reasons (`ContractViolations`).",
            ),
        ],
        check_specs=[
            *_rule_check_specs(config, names),
            per_file_check(
                ROWS_CONSERVED,
                asset=GOOD,
                blocking=True,
                description="Every record of the landed file is either good or bad: records read = good rows "
                "staged + bad rows quarantined, counted on the files written.",
            ),
        ],
    )
    def quality_stage(context: dg.AssetExecutionContext, lake: Lake, catalog: Catalog, warehouse: Warehouse):
        key = lake.landing_key(context.partition_key)
        fingerprint = landed_fingerprint(context) or lake.describe(key).fingerprint
        archived = run_output_key(PROCESSED, context.partition_key, context.run_id, PurePosixPath(key).name)
        # The archive copy, exactly the version read, is made while the rules run; it becomes the file's with
        # the load's commit (`run_outputs`).
        with lake.scratch() as out, archived_meanwhile(lake, key, archived, fingerprint) as archiving:
            # Only the landed_file step's version is read: the block fails if the object changed meanwhile,
            # before anything is stored, so a failed run leaves the lake and the warehouse as they were.
            with lake.local_file(key, fingerprint) as landed, bad_input_explained(key):
                history = LakeMetricHistory(lake, config.path, exclude_run=context.run_id)  # read only if asked
                result = run_stage(landed, config, out, source=key, history=history)
            outcome_file = out / "rule_outcome.jsonl"
            outcome_file.write_text("".join(json.dumps(record) + "\n" for record in result.verdict.records()))
            outcome_key = _store_run_output(lake, RULE_OUTCOME, context, outcome_file)
            remove_earlier_outputs(lake, RULE_OUTCOME, context.partition_key, context.run_id)  # a report: replaced now
            # Every evaluation, in the lake and the warehouse, before the file can be stopped or fail a check.
            history_key, in_history = record_history(context, lake, warehouse, result.summary, names, key)
            metadata = _evaluated_metadata(result, names, key, lake.uri(outcome_key))
            metadata |= {"dq_history": dg.MetadataValue.path(lake.uri(history_key)), "dq_history_rows": in_history}
            yield dg.MaterializeResult(asset_key=EVALUATED, metadata=metadata)
            yield from _rule_check_results(config, names, result)
            if result.verdict.stop_reason:
                stopped = f"{key}: {result.verdict.stop_reason}; no row was routed or loaded"
                raise DatasetFailedError(description=stopped, allow_retries=False)
            archiving.result()  # archived before anything is routed, so before the warehouse commit
            register_crawl(lake, catalog, result.columns)  # rows routed: the catalog keeps this file's schema

            preview = _bad_rows_preview(result)
            bad_key = _store_run_output(lake, BAD_RECORDS, context, result.outputs[BAD_RECORDS_FILE])
            good_schema = pl.read_parquet_schema(result.outputs[GOOD_ROWS_FILE])
            good_key = staged_good_rows_key(context.partition_key)
            lake.store(result.outputs[GOOD_ROWS_FILE], good_key)
        yield dg.MaterializeResult(
            asset_key=GOOD,
            metadata={
                "dagster/row_count": result.rows_good,
                "dagster/column_schema": column_schema(good_schema),
                "source_file": key,
                "staged_at": dg.MetadataValue.path(lake.uri(good_key)),
                "archived_input": dg.MetadataValue.path(lake.uri(archived)),
            },
        )
        yield dg.MaterializeResult(
            asset_key=BAD,
            metadata={
                "dagster/row_count": result.rows_bad,
                "source_file": key,
                "bad_records": dg.MetadataValue.path(lake.uri(bad_key)),
                "open_bad_records": dg.MetadataValue.url(lake.link(bad_key)),  # the whole quarantine, one click
                "preview": dg.MetadataValue.md(preview),
            },
        )
        yield dg.AssetCheckResult(
            check_name=ROWS_CONSERVED,
            asset_key=GOOD,
            passed=result.rows_in == result.rows_good + result.rows_bad,
            metadata={"rows_in": result.rows_in, "rows_good": result.rows_good, "rows_bad": result.rows_bad},
        )

    return quality_stage
