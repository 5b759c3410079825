from quality_movies.assets.catalog import crawl_columns, schema_drift
from quality_movies.landed_file import read_landed
from quality_movies_tests.conftest import IMDB_CSV


def test_crawl_lower_cases_headers_and_infers_crawler_types():
    columns = crawl_columns(read_landed(str(IMDB_CSV), source=IMDB_CSV.name).frame)
    assert [c["name"] for c in columns][:3] == ["poster_link", "series_title", "released_year"]
    types = {c["name"]: c["type"] for c in columns}
    assert len(columns) == 16
    assert types["imdb_rating"] == "double"
    assert types["no_of_votes"] == "bigint"
    assert types["released_year"] == "string"  # 'PG' for Apollo 13
    assert types["gross"] == "string"  # "28,341,469"


def test_drift_names_added_removed_and_retyped_columns():
    before = [{"name": "a", "type": "bigint"}, {"name": "b", "type": "string"}]
    after = [{"name": "a", "type": "string"}, {"name": "c", "type": "double"}]
    assert schema_drift(before, after) == {"added": ["c"], "removed": ["b"], "retyped": ["a: bigint -> string"]}


def test_first_crawl_is_not_drift():
    assert schema_drift(None, [{"name": "a", "type": "bigint"}]) == {"added": [], "removed": [], "retyped": []}
