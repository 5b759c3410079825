-- A table created when the loader sent loaded_at has no default for it, and a load that leaves the column out
-- fails its NOT NULL. Redshift's ALTER TABLE cannot SET DEFAULT, so the column is rebuilt with its values:
-- kept aside, dropped, added back with the default, filled again, and the copy dropped (no RENAME: the column
-- keeps its name and stays last). The loader runs these statements in one
-- transaction holding the table's lock (lock_table.sql), after finding again under that lock that the default
-- is missing, so two runs migrating at once migrate once and a failure leaves the table as it was.
-- Statements end with a semicolon at the end of a line. Valid on Amazon Redshift and PostgreSQL.
ALTER TABLE {schema}.{table} ADD COLUMN loaded_at_before_default TIMESTAMP;
UPDATE {schema}.{table} SET loaded_at_before_default = loaded_at;
ALTER TABLE {schema}.{table} DROP COLUMN loaded_at;
ALTER TABLE {schema}.{table} ADD COLUMN loaded_at TIMESTAMP DEFAULT GETDATE() NOT NULL;
UPDATE {schema}.{table} SET loaded_at = loaded_at_before_default;
ALTER TABLE {schema}.{table} DROP COLUMN loaded_at_before_default;
