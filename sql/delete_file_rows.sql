-- First statement of a file's load transaction: its previous rows go, so a re-run replaces them.
DELETE FROM movies.imdb_movies_rating WHERE source_file = %s;
