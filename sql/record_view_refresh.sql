-- In the refresh's transaction, after REFRESH: the refresh's number and the table's rows it saw.
INSERT INTO {schema}.view_refreshes (view_name, refreshes, table_rows) VALUES (%s, %s, %s);
