-- (refreshes committed, the table's rows as the last of them counted); no row before the first refresh.
SELECT refreshes, table_rows
FROM {schema}.view_refreshes
WHERE view_name = %s
ORDER BY refreshes DESC
LIMIT 1;
