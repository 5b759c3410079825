-- The good rows, typed as the recipe's Glue "Change Schema" step typed them, plus lineage.
-- VARCHAR lengths are explicit: Redshift's bare VARCHAR is VARCHAR(256), too short for
-- overviews; Redshift counts bytes where PostgreSQL counts characters, and the
-- contract (quality_movies/contract.py) checks bytes, the stricter of the two.
-- loaded_at is the server's: every load leaves it out of its column list, and COPY (or INSERT) fills an omitted
-- column with its DEFAULT, GETDATE(): on Redshift the start of the loading statement, UTC by default, one value
-- for all the rows one COPY loads (the embedded warehouse defines getdate() alike: embedded_getdate.sql).
-- Valid on Amazon Redshift and PostgreSQL.
CREATE TABLE IF NOT EXISTS {schema}.{table} (
    poster_link    VARCHAR(1024),
    series_title   VARCHAR(512),
    released_year  VARCHAR(16),
    certificate    VARCHAR(32),
    runtime        VARCHAR(32),
    genre          VARCHAR(256),
    imdb_rating    DOUBLE PRECISION,
    overview       VARCHAR(4096),
    meta_score     BIGINT,
    director       VARCHAR(256),
    star1          VARCHAR(256),
    star2          VARCHAR(256),
    star3          VARCHAR(256),
    star4          VARCHAR(256),
    no_of_votes    BIGINT,
    gross          VARCHAR(32),
    source_file    VARCHAR(1024) NOT NULL,
    run_id         VARCHAR(64)   NOT NULL,
    loaded_at      TIMESTAMP     DEFAULT GETDATE() NOT NULL
);
