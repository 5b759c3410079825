-- Whether the table's loaded_at has a default (a table created before the server set it has none: see
-- move_loaded_at_to_server_default.sql). information_schema exists on both engines.
SELECT COUNT(*)
FROM information_schema.columns
WHERE table_schema = %s AND table_name = %s AND column_name = 'loaded_at' AND column_default IS NOT NULL;
