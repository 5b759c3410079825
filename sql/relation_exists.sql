-- Whether a table, view or materialized view exists; pg_class and pg_namespace exist on both engines.
SELECT COUNT(*)
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s;
