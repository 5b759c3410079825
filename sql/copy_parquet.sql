-- Redshift only (the AWS bulk path): load one staged Parquet file of good rows. The column list names the
-- file's columns, in its order, so a column a DBA adds to the table takes its default instead of breaking the load.
-- COPY takes no bound parameters; the loader validates and quotes both literals.
COPY {schema}.{table} ({columns})
FROM {source}
IAM_ROLE {iam_role}
FORMAT AS PARQUET;
