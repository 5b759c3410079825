SELECT COUNT(*) FROM {schema}.{table};
