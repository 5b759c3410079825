SELECT COUNT(*) FROM {schema}.{table} WHERE source_file = %s;
