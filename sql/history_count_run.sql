SELECT COUNT(*) FROM {schema}.{history} WHERE source_file = %s AND run_id = %s;
