-- {schema}, {table} and {view} are identifiers from configuration, validated and quoted by the loader.
-- Valid on Amazon Redshift and PostgreSQL.
CREATE SCHEMA IF NOT EXISTS {schema};
