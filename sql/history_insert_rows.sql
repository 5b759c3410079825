-- Multi-row insert: the loader appends one "(%s, ...)" group per history row, all values bound.
INSERT INTO {schema}.{history} (
    source_file, run_id, evaluated_at, ruleset, rows_in, rows_good, rows_bad, dq_score, rules_passed, rules_total,
    rule_text, check_name, outcome, severity, failing_rows, metric, metric_value
) VALUES
