-- Opens the view refresh's transaction. SERIALIZABLE is the isolation level both engines share (Redshift runs
-- every transaction serializable; PostgreSQL honours it), so every read in it sees one snapshot, taken by the
-- first statement after the lock (lock_table_for_refresh.sql), not by BEGIN.
BEGIN ISOLATION LEVEL SERIALIZABLE;
