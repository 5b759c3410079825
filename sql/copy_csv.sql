-- Embedded PostgreSQL only, the local twin of copy_parquet.sql: the server reads one staged CSV file of
-- good rows (lineage included) from its own file system. In CSV an unquoted empty field is NULL and ""
-- is an empty string; HEADER MATCH refuses a file whose header is not exactly the column list.
-- COPY takes no bound parameters; the loader validates and quotes the path and the column names.
COPY {schema}.{table} ({columns})
FROM {source}
WITH (FORMAT csv, HEADER MATCH, ENCODING 'UTF8');
