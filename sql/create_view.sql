-- Redshift has no CREATE MATERIALIZED VIEW IF NOT EXISTS: run only when relation_exists.sql finds none.
-- Valid on Amazon Redshift and PostgreSQL.
CREATE MATERIALIZED VIEW {schema}.{view} AS
SELECT released_year, genre, COUNT(*) AS movie_count
FROM {schema}.{table}
GROUP BY released_year, genre;
