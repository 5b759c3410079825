-- The view refresh's first statement: no load commits into the table until the refresh commits, and refreshes
-- of the view run one at a time. The refresh, its bookkeeping and the counts the view's check compares are then
-- read from the same rows. LOCK without a mode is valid on both engines (Redshift's only lock, which AWS advises
-- for serializing sessions; PostgreSQL's ACCESS EXCLUSIVE). Neither takes the transaction's snapshot at a LOCK
-- (Redshift: at the first SELECT, DML or listed DDL; PostgreSQL: at the first query), so the reads that follow
-- see every load committed before the lock was granted.
LOCK {schema}.{table};
