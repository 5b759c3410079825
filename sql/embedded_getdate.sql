-- Embedded PostgreSQL only: Redshift's GETDATE(), which create_table.sql names as loaded_at's default, so that
-- both warehouses run the same DDL. Like Redshift's, it is the start of the current statement, in UTC, as a
-- TIMESTAMP without time zone: all the rows one COPY loads share it. Created when the embedded server starts,
-- if missing.
CREATE OR REPLACE FUNCTION public.getdate() RETURNS TIMESTAMP
LANGUAGE sql STABLE PARALLEL SAFE
AS 'SELECT statement_timestamp() AT TIME ZONE ''UTC''';
