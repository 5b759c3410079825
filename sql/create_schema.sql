-- Valid on Amazon Redshift and PostgreSQL.
CREATE SCHEMA IF NOT EXISTS movies;
