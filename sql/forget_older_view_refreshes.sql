-- In the refresh's transaction: only the latest refresh is kept (refreshes run one at a time under the lock).
DELETE FROM {schema}.view_refreshes WHERE view_name = %s AND refreshes < %s;
