-- Redshift only (the AWS bulk path): load one staged Parquet file of good rows, columns in table order.
-- COPY takes no bound parameters; the loader validates and quotes both literals.
COPY {schema}.{table}
FROM {source}
IAM_ROLE {iam_role}
FORMAT AS PARQUET;
