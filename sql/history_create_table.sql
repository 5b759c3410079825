-- The data-quality history: per landed file and run, a row per rule and metric (Glue's metric names), with the
-- run's rows in/good/bad and score repeated on each row (quality_movies/history.py). Rows of one file and run are
-- replaced together (history_delete_run.sql first), so a re-run of a step never doubles them.
-- Valid on Amazon Redshift and PostgreSQL.
CREATE TABLE IF NOT EXISTS {schema}.{history} (
    source_file    VARCHAR(1024)  NOT NULL,
    run_id         VARCHAR(64)    NOT NULL,
    evaluated_at   TIMESTAMP      NOT NULL,
    ruleset        VARCHAR(1024),
    rows_in        BIGINT,
    rows_good      BIGINT,
    rows_bad       BIGINT,
    dq_score       DOUBLE PRECISION,
    rules_passed   BIGINT,
    rules_total    BIGINT,
    rule_text      VARCHAR(65535),
    check_name     VARCHAR(256),
    outcome        VARCHAR(16),
    severity       VARCHAR(16),
    failing_rows   BIGINT,
    metric         VARCHAR(1024),
    metric_value   DOUBLE PRECISION
);
