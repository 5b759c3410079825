-- Multi-row insert: the loader appends one "(%s, ...)" group per row, all values bound. loaded_at is left
-- out: the server sets it (its DEFAULT, see create_table.sql).
INSERT INTO {schema}.{table} (
    poster_link, series_title, released_year, certificate, runtime, genre, imdb_rating, overview,
    meta_score, director, star1, star2, star3, star4, no_of_votes, gross,
    source_file, run_id
) VALUES
