-- First statement of a file's load transaction: its previous rows go, so a re-run replaces them.
DELETE FROM {schema}.{table} WHERE source_file = %s;
