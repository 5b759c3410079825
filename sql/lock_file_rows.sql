-- Embedded PostgreSQL: the first statement of a file's load transaction. A transaction-level advisory
-- lock on (table, file), released by the commit or rollback: two loads of one file run one after the
-- other, so the second one's DELETE sees (and removes) the first one's committed rows. Loads of other
-- files are not held up (a hash collision only makes two files wait for each other).
SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(%s));
