"""Quality: evaluate the DQDL ruleset on every row, check each rule, and route rows to good or bad.

The stage's logic lives in `quality_movies.stage` (no Dagster there); this module makes it one
step with three assets and one asset check per rule. The ruleset is configuration, so the
assets are built from it (`build_quality_stage`).
"""

import json
import re

import dagster as dg
import polars as pl

from quality_movies import dqdl
from quality_movies.assets.catalog import crawled_table
from quality_movies.assets.metadata import OWNERS, SAMPLE_ROWS, column_schema, markdown_table, tags
from quality_movies.landed_file import count_landed_rows, read_landed
from quality_movies.partitions import landed_files
from quality_movies.resources.lake import BAD_RECORDS, RULE_OUTCOME, Lake, file_output_prefix, run_output_key
from quality_movies.ruleset_config import RulesetConfig
from quality_movies.stage import SOURCE_ROW, StageResult, evaluate_rows

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
            dg.AssetCheckSpec(
                name,
                asset=EVALUATED,
                description=f"DQDL rule `{text}` (severity {settings.severity}"
                + (", blocks the warehouse load)" if settings.blocking else ")"),
                blocking=settings.blocking,
                metadata={"rule": text, "severity": settings.severity, "ruleset": str(config.path)},
            )
        )
    return specs


def _fresh_output_key(lake: Lake, prefix: str, context: dg.AssetExecutionContext, name: str) -> str:
    """The key for this run's output of a file, after removing the file's earlier outputs (a re-run replaces them)."""
    lake.delete_prefix(file_output_prefix(prefix, context.partition_key))
    return run_output_key(prefix, context.partition_key, context.run_id, name)


def _failing_sample(result: StageResult, rule: str, columns: tuple[str, ...]) -> str:
    failing = result.rows.filter(pl.col(dqdl.FAIL_COLUMN).list.contains(rule))
    shown = [SOURCE_ROW, *(c for c in ("series_title", *columns) if c in failing.columns)]
    return markdown_table(failing.head(SAMPLE_ROWS).select(list(dict.fromkeys(shown))))


def _rule_check_results(config: RulesetConfig, names: dict[str, str], result: StageResult):
    columns = {rule.render(): getattr(rule, "columns", ()) for rule in config.ruleset.rules}
    for record in result.verdict.records():
        metadata = {
            "rule": record["rule"],
            "outcome": record["outcome"],
            "failing_rows": record["failing_rows"],
            "metrics": dg.MetadataValue.json(record["metrics"]),
        }
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


def _bad_rows_preview(bad: pl.DataFrame) -> str:
    shown = [SOURCE_ROW, "series_title", dqdl.FAIL_COLUMN, "ContractViolations"]
    return markdown_table(bad.head(SAMPLE_ROWS).select([c for c in shown if c in bad.columns]))


def _evaluated_metadata(result: StageResult, source_file: str, outcome_uri: str) -> dict[str, object]:
    records = result.verdict.records()
    rules_table = pl.DataFrame([{k: r[k] for k in ("rule", "outcome", "failing_rows", "severity")} for r in records])
    return {
        "dagster/row_count": result.rows_in,
        "dagster/column_schema": column_schema(result.rows),
        "source_file": source_file,
        "rows_good": result.good.height,
        "rows_bad": result.bad.height,
        "dq_score": dg.MetadataValue.float(result.score if result.score is not None else float("nan")),
        "dq_result": result.score_text,
        "rules_passed": result.verdict.passed,
        "rules_total": len(records),
        "failed_rules": dg.MetadataValue.json([r["rule"] for r in records if r["outcome"] != "Passed"]),
        "rule_outcome": dg.MetadataValue.path(outcome_uri),
        "rules": dg.MetadataValue.md(markdown_table(rules_table)),
    }


def build_quality_stage(config: RulesetConfig) -> dg.AssetsDefinition:
    """The quality step for `config`'s ruleset: evaluated rows, good rows, bad rows, and their checks."""
    names = rule_check_names(config.rule_texts)

    @dg.multi_asset(
        name=QUALITY_STAGE,
        partitions_def=landed_files,
        outs={
            "dq_evaluated_rows": dg.AssetOut(
                key=EVALUATED,
                group_name="quality",
                tags=tags("quality"),
                kinds={"polars", "sns"},
                owners=OWNERS,
                description="Every row of the landed file with Glue Data Quality's row-level outcome columns "
                "(`DataQualityRulesPass`/`Fail`/`Skip`, `DataQualityEvaluationResult`) and `ContractViolations`, "
                f"evaluated with the DQDL ruleset `{config.path.name}`; one asset check per rule. "
                "The data-quality result is published as a notification (SNS, or the local outbox).",
            ),
            "good_rows": dg.AssetOut(
                key=GOOD,
                group_name="quality",
                tags=tags("quality"),
                kinds={"polars"},
                owners=OWNERS,
                is_required=False,
                description="Rows that passed every rule and the warehouse contract, typed for the warehouse.",
            ),
            "bad_rows": dg.AssetOut(
                key=BAD,
                group_name="quality",
                tags=tags("quality"),
                kinds={"polars", "s3"},
                owners=OWNERS,
                is_required=False,
                description="Rows that failed a rule or the contract, quarantined under `bad_records/` "
                "as JSON Lines with their outcome columns and reasons.",
            ),
        },
        internal_asset_deps={
            "dq_evaluated_rows": {crawled_table.key},
            "good_rows": {EVALUATED},
            "bad_rows": {EVALUATED},
        },
        deps=[crawled_table],
        check_specs=[
            *_rule_check_specs(config, names),
            dg.AssetCheckSpec(
                ROWS_CONSERVED,
                asset=GOOD,
                blocking=True,
                description="Every row of the landed file is either good or bad: rows in = good + bad.",
            ),
        ],
    )
    def quality_stage(context: dg.AssetExecutionContext, lake: Lake):
        key = lake.landing_key(context.partition_key)
        landed = read_landed(lake.uri(key), lake.storage_options(), source=key)
        result = evaluate_rows(landed.frame, config, source=key)
        outcome_lines = "".join(json.dumps(record) + "\n" for record in result.verdict.records())
        outcome_key = _fresh_output_key(lake, RULE_OUTCOME, context, "rule_outcome.jsonl")
        lake.write_bytes(outcome_key, outcome_lines.encode())
        yield dg.Output(
            result.rows,
            "dq_evaluated_rows",
            metadata=_evaluated_metadata(result, key, lake.uri(outcome_key)) | landed.metadata(),
        )
        yield from _rule_check_results(config, names, result)
        if result.verdict.stop_reason:
            raise DatasetFailedError(description=f"{key}: {result.verdict.stop_reason}; no row was routed or loaded")

        bad_key = _fresh_output_key(lake, BAD_RECORDS, context, "bad_records.jsonl")
        lake.write_frame(bad_key, result.bad, "ndjson")
        rows_in = count_landed_rows(lake.uri(key), lake.storage_options(), source=key)  # an independent reader
        yield dg.Output(
            result.good,
            "good_rows",
            metadata={
                "dagster/row_count": result.good.height,
                "dagster/column_schema": column_schema(result.good),
                "source_file": key,
            },
        )
        yield dg.Output(
            result.bad,
            "bad_rows",
            metadata={
                "dagster/row_count": result.bad.height,
                "source_file": key,
                "bad_records": dg.MetadataValue.path(lake.uri(bad_key)),
                "preview": dg.MetadataValue.md(_bad_rows_preview(result.bad)),
            },
        )
        yield dg.AssetCheckResult(
            check_name=ROWS_CONSERVED,
            asset_key=GOOD,
            passed=rows_in == result.good.height + result.bad.height,
            metadata={"rows_in": rows_in, "rows_good": result.good.height, "rows_bad": result.bad.height},
        )

    return quality_stage
