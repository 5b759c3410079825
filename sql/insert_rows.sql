-- Multi-row insert: the loader appends one "(%s, ...)" group per row, all values bound.
INSERT INTO {schema}.{table} (
    poster_link, series_title, released_year, certificate, runtime, genre, imdb_rating, overview,
    meta_score, director, star1, star2, star3, star4, no_of_votes, gross,
    source_file, run_id, loaded_at
) VALUES
