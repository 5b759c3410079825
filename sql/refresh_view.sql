-- Run inside the transaction opened by begin_serializable.sql, after lock_table_for_refresh.sql: Redshift's
-- usage notes describe a refresh inside a transaction (an incremental one reads committed base rows only, which
-- under the lock are the rows this transaction counts); PostgreSQL refreshes inside one as well.
REFRESH MATERIALIZED VIEW {schema}.{view};
