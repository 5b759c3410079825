SELECT COUNT(*) FROM movies.imdb_movies_rating WHERE source_file = %s;
