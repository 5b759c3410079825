SELECT COUNT(*) FROM movies.imdb_movies_rating;
