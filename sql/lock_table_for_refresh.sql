-- The view refresh's first statement: no load commits into the table until the refresh commits, and refreshes
-- of the view run one at a time. The refresh, its bookkeeping and the counts the view's check compares are then
-- read from the same rows. LOCK without a mode is valid on both engines (Redshift's only lock; PostgreSQL's
-- ACCESS EXCLUSIVE) and, on PostgreSQL, takes no snapshot: the reads that follow see every load committed first.
LOCK {schema}.{table};
