-- Redshift (no advisory locks): the first statement of a file's load transaction. LOCK holds the table
-- until the commit or rollback, so two loads of one file run one after the other and the second one's
-- DELETE removes the first one's rows; loads of other files wait too, as Redshift serializes writes anyway.
LOCK {schema}.{table};
