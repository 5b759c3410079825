-- Redshift runs a refresh as a transaction of its own: execute it outside an open transaction.
REFRESH MATERIALIZED VIEW {schema}.{view};
