-- First statement of a run's history transaction: the rows an earlier attempt of this run left go.
DELETE FROM {schema}.{history} WHERE source_file = %s AND run_id = %s;
