-- Bookkeeping of the view's refreshes, one row per view (older rows are deleted by the refresh that supersedes
-- them): `refreshes` counts the refreshes committed so far, `table_rows` is the table's row count read in the
-- same transaction as the last one. A refresh asked for after refresh N committed skips when it finds N+1 or
-- later (that refresh already saw every load committed before it was asked for). Valid on Redshift and PostgreSQL.
CREATE TABLE IF NOT EXISTS {schema}.view_refreshes (
    view_name   VARCHAR(127) NOT NULL,
    refreshes   BIGINT       NOT NULL,
    table_rows  BIGINT       NOT NULL
);
