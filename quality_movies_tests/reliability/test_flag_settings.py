"""Yes/no settings accept only their documented values: a TLS flag never turns TLS off by being misspelt."""

from __future__ import annotations

import pytest

from quality_movies.definitions import InvalidFlagError, warehouse_from_env
from quality_movies.resources.local_lake import LocalLake


@pytest.fixture
def redshift_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("QUALITY_MOVIES_REDSHIFT_HOST", "example.invalid")
    return monkeypatch


@pytest.mark.parametrize("value", ["on", "enabled", "require", "verify-full", "", "2", "tru"])
def test_an_undocumented_ssl_value_is_refused_loudly(redshift_env, tmp_path, value):
    redshift_env.setenv("QUALITY_MOVIES_REDSHIFT_SSL", value or " ")
    with pytest.raises(InvalidFlagError, match="QUALITY_MOVIES_REDSHIFT_SSL=.* is not a yes/no value"):
        warehouse_from_env(tmp_path, LocalLake(root=str(tmp_path)))


@pytest.mark.parametrize(
    ("value", "ssl"),
    [("true", True), ("TRUE", True), ("1", True), ("yes", True), ("false", False), ("0", False), (" No ", False)],
)
def test_documented_ssl_values_set_tls(redshift_env, tmp_path, value, ssl):
    redshift_env.setenv("QUALITY_MOVIES_REDSHIFT_SSL", value)
    assert warehouse_from_env(tmp_path, LocalLake(root=str(tmp_path))).ssl is ssl


def test_tls_is_on_when_the_flag_is_not_set(redshift_env, tmp_path):
    redshift_env.delenv("QUALITY_MOVIES_REDSHIFT_SSL", raising=False)
    assert warehouse_from_env(tmp_path, LocalLake(root=str(tmp_path))).ssl is True


def test_the_iam_flag_is_parsed_as_strictly(redshift_env, tmp_path):
    redshift_env.setenv("QUALITY_MOVIES_REDSHIFT_IAM", "enabled")
    with pytest.raises(InvalidFlagError, match="QUALITY_MOVIES_REDSHIFT_IAM"):
        warehouse_from_env(tmp_path, LocalLake(root=str(tmp_path)))
