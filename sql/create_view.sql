-- Redshift has no CREATE MATERIALIZED VIEW IF NOT EXISTS: run only when relation_exists.sql finds none.
-- Valid on Amazon Redshift and PostgreSQL.
CREATE MATERIALIZED VIEW movies.year_aggregated_genre AS
SELECT released_year, genre, COUNT(*) AS movie_count
FROM movies.imdb_movies_rating
GROUP BY released_year, genre;
