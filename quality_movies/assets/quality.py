"""Quality: evaluate the rules on every row, then route rows to the good or the bad partition."""

import io
import json

import dagster as dg
import polars as pl

from quality_movies import original_rules
from quality_movies.assets.catalog import crawled_table
from quality_movies.contract import VIOLATIONS, check_required_columns, to_warehouse_types, violations_expr
from quality_movies.partitions import landed_files
from quality_movies.resources.lake import (
    BAD_RECORDS,
    RULE_OUTCOME,
    Lake,
    file_output_prefix,
    run_output_key,
)

SOURCE_ROW = "source_row"
IS_GOOD = (pl.col(original_rules.RESULT) == "Passed") & (pl.col(VIOLATIONS).list.len() == 0)
ROWS_CONSERVED = "rows_conserved"


def read_landed_csv(lake: Lake, key: str) -> pl.DataFrame:
    """All fields as text (nothing is lost to type inference), headers lower-cased as the crawler does."""
    frame = lake.scan_csv(key, infer_schema=False).collect()
    return frame.rename({name: name.lower() for name in frame.columns})


def replace_file_output(lake: Lake, prefix: str, context: dg.AssetExecutionContext, name: str, data: bytes) -> str:
    """Write this run's output for a file, replacing the file's earlier outputs; returns the key."""
    lake.delete_prefix(file_output_prefix(prefix, context.partition_key))
    key = run_output_key(prefix, context.partition_key, context.run_id, name)
    lake.write_bytes(key, data)
    return key


@dg.asset(
    partitions_def=landed_files,
    deps=[crawled_table],
    group_name="quality",
    kinds={"polars"},
    owners=["team:data-platform"],
)
def dq_evaluated_rows(context: dg.AssetExecutionContext, lake: Lake) -> pl.DataFrame:
    """Every row of the landed file with Glue Data Quality's row-level outcome columns.

    `DataQualityRulesPass`/`Fail`/`Skip` list the rule texts, `DataQualityEvaluationResult` is
    `Passed` or `Failed`; `ContractViolations` lists why a row cannot take the warehouse's types.
    Rule outcomes are written to `rule_outcome/` as JSON Lines.
    """
    key = lake.landing_key(context.partition_key)
    raw = read_landed_csv(lake, key)
    check_required_columns(raw.columns, key)
    evaluation = original_rules.evaluate(raw)
    rows = evaluation.rows.with_columns(violations_expr()).with_row_index(SOURCE_ROW, offset=1)
    outcomes = [vars(rule) for rule in evaluation.rules]
    outcome_lines = "".join(json.dumps(outcome) + "\n" for outcome in outcomes)
    outcome_key = replace_file_output(lake, RULE_OUTCOME, context, "rule_outcome.jsonl", outcome_lines.encode())
    passed = sum(rule.outcome == "Passed" for rule in evaluation.rules)
    context.add_output_metadata(
        {
            "dagster/row_count": rows.height,
            "dq_score": evaluation.score,
            "dq_result": evaluation.score_text,
            "rules_passed": passed,
            "rules_total": len(evaluation.rules),
            "failed_rules": dg.MetadataValue.json([r.rule for r in evaluation.rules if r.outcome != "Passed"]),
            "rule_outcome": dg.MetadataValue.path(lake.uri(outcome_key)),
            "rules": dg.MetadataValue.md(_rules_markdown(outcomes)),
        }
    )
    return rows


def _rules_markdown(outcomes: list[dict]) -> str:
    lines = ["| rule | outcome | failing rows |", "|---|---|---|"]
    lines += [f"| `{o['rule']}` | {o['outcome']} | {o['failing_rows']} |" for o in outcomes]
    return "\n".join(lines)


def _bad_rows_markdown(bad: pl.DataFrame, limit: int = 5) -> str:
    lines = ["| row | series_title | failed rules | contract |", "|---|---|---|---|"]
    for row in bad.head(limit).iter_rows(named=True):
        failed = ", ".join(f"`{rule}`" for rule in row[original_rules.FAIL])
        lines.append(f"| {row[SOURCE_ROW]} | {row.get('series_title')} | {failed} | {'; '.join(row[VIOLATIONS])} |")
    return "\n".join(lines)


@dg.multi_asset(
    partitions_def=landed_files,
    outs={
        "good_rows": dg.AssetOut(
            group_name="quality",
            kinds={"polars"},
            owners=["team:data-platform"],
            description="Rows that passed every rule and the warehouse contract, typed for the warehouse.",
        ),
        "bad_rows": dg.AssetOut(
            group_name="quality",
            kinds={"polars", "s3"},
            owners=["team:data-platform"],
            description="Rows that failed a rule or the contract, quarantined under `bad_records/` "
            "as JSON Lines with their reasons.",
        ),
    },
    check_specs=[
        dg.AssetCheckSpec(
            ROWS_CONSERVED,
            asset="good_rows",
            blocking=True,
            description="Every row of the landed file is either good or bad: rows in = good + bad.",
        ),
    ],
)
def route_rows(context: dg.AssetExecutionContext, lake: Lake, dq_evaluated_rows: pl.DataFrame):
    """Split the evaluated rows into the good partition (to the warehouse) and the bad one (to quarantine)."""
    good = dq_evaluated_rows.filter(IS_GOOD)
    bad = dq_evaluated_rows.filter(~IS_GOOD)
    bad_lines = io.BytesIO()
    bad.write_ndjson(bad_lines)
    bad_key = replace_file_output(lake, BAD_RECORDS, context, "bad_records.jsonl", bad_lines.getvalue())
    landed = lake.landing_key(context.partition_key)
    rows_in = lake.scan_csv(landed, infer_schema=False).select(pl.len()).collect().item()
    yield dg.Output(to_warehouse_types(good), "good_rows", metadata={"dagster/row_count": good.height})
    yield dg.Output(
        bad,
        "bad_rows",
        metadata={
            "dagster/row_count": bad.height,
            "bad_records": dg.MetadataValue.path(lake.uri(bad_key)),
            "preview": dg.MetadataValue.md(_bad_rows_markdown(bad)),
        },
    )
    yield dg.AssetCheckResult(
        check_name=ROWS_CONSERVED,
        asset_key="good_rows",
        passed=rows_in == good.height + bad.height,
        metadata={"rows_in": rows_in, "rows_good": good.height, "rows_bad": bad.height},
    )
