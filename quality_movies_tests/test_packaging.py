"""The package is what ships: SQL, rulesets and the sample inside the wheel and sdist, every import declared.

The wheel is built here exactly as `make wheel-check` and the Dockerfile build it (deploy/build-wheel.sh,
through the sdist, no download); `make wheel-check` then installs it into a clean virtual environment.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from importlib.metadata import packages_distributions
from importlib.resources import files
from pathlib import Path

import pytest

from quality_movies.resources.warehouse_session import SQL_DIR, sql

REPO = Path(__file__).resolve().parents[1]
SQL_FILES = sorted(path.name for path in (REPO / "sql").glob("*.sql"))
PACKAGE_DATA = [
    *(f"quality_movies/sql/{name}" for name in SQL_FILES),
    "quality_movies/sample/imdb_movies_rating.csv",
    "quality_movies/rules/movies.dqdl",
    "quality_movies/rules/movies.toml",
]


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the sdist and the wheel built from it by deploy/build-wheel.sh."""
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [str(REPO / "deploy" / "build-wheel.sh"), str(out)],
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable},
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    return out


def test_the_warehouse_reads_its_sql_from_the_package_not_the_repository():
    assert files("quality_movies.sql") == SQL_DIR
    assert SQL_FILES, "the repository's sql/ folder is empty"
    for name in SQL_FILES:
        assert sql(name.removesuffix(".sql")) == (REPO / "sql" / name).read_text()


def test_the_wheel_ships_every_sql_file_the_sample_and_the_rules(dist):
    (wheel,) = dist.glob("quality_movies-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert [name for name in PACKAGE_DATA if name not in shipped] == []
    assert not [name for name in shipped if name.startswith(("sql/", "quality_movies_tests/", "benchmarks/"))]


def test_the_sdist_carries_the_same_package_data(dist):
    (sdist,) = dist.glob("quality_movies-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert [name for name in PACKAGE_DATA if name not in names] == []


def _third_party_imports() -> set[str]:
    """Top-level names of every module the package imports (at module level or inside functions)."""
    found = set()
    for path in (REPO / "quality_movies").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"quality_movies"}


def test_the_wheel_declares_a_dependency_for_every_import(dist):
    (wheel,) = dist.glob("quality_movies-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        metadata = Parser().parsestr(archive.read("quality_movies-0.1.0.dist-info/METADATA").decode())
    runtime = {
        _normalized(re.match(r"[A-Za-z0-9_.-]+", requirement).group())
        for requirement in metadata.get_all("Requires-Dist") or []
        if "extra ==" not in requirement
    }
    providers = packages_distributions()
    undeclared = {
        module: providers.get(module)
        for module in _third_party_imports()
        if not runtime & {_normalized(name) for name in providers.get(module, [module])}
    }
    assert undeclared == {}, f"imported but not in install_requires (module: distributions): {undeclared}"
