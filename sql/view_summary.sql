-- (groups in the view, movies counted); SUM of BIGINT is NUMERIC on both engines, hence the cast.
SELECT COUNT(*), CAST(COALESCE(SUM(movie_count), 0) AS BIGINT) FROM {schema}.{view};
