-- Whether a function of no arguments exists in a schema (the embedded warehouse's getdate()).
SELECT COUNT(*)
FROM pg_catalog.pg_proc AS p
JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname = %s AND p.proname = %s AND p.pronargs = 0;
