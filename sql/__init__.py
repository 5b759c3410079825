"""Every SQL statement the warehouse runs, shipped as package data: `quality_movies.sql` in an installed package."""
