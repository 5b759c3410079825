"""A new user's first hour: `make dev` after `make demo` runs nothing again, and a failed file says why in the UI."""

import contextlib
import json
import re
import time
import urllib.request
from collections.abc import Iterator

import dagster as dg
import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from quality_movies.cli import SAMPLE
from quality_movies.demo import run_demo
from quality_movies_tests.data_files import VARIANTS
from quality_movies_tests.ui.conftest import dagster_dev, new_dagster_home, screenshot

pytestmark = pytest.mark.browser

FAILING = VARIANTS / "messy_imdb_dataset.csv"
TICKS = """{ sensorOrError(sensorSelector: {repositoryLocationName: "quality_movies",
  repositoryName: "__repository__", sensorName: "landing_sensor"}) {
  ... on Sensor { sensorState { ticks(limit: 10) { status runIds } } } } }"""


def _graphql(url: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql", data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def _finished_ticks(url: str, timeout: float = 180) -> list[dict]:
    """The landing sensor's ticks once at least one has finished (the daemon ticks it soon after start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ticks = _graphql(url, TICKS)["sensorOrError"]["sensorState"]["ticks"]
        finished = [tick for tick in ticks if tick["status"] != "STARTED"]
        if finished:
            return finished
        time.sleep(2)
    raise TimeoutError(f"the landing sensor did not tick within {timeout} s")


@pytest.fixture(scope="module")
def dev_after_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dg.DagsterInstance]]:
    """`make demo` on the sample and on a failing file, then `make dev` on the same home and instance."""
    home = tmp_path_factory.mktemp("first_hour")
    dagster_home = new_dagster_home(home)
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        assert run_demo(SAMPLE, home, instance=instance)["success"]
        assert not run_demo(FAILING, home, instance=instance)["success"]
        with dagster_dev(home, dagster_home) as url:
            yield url, instance


def test_make_dev_after_make_demo_runs_no_file_again(dev_after_demo):
    url, instance = dev_after_demo

    ticks = _finished_ticks(url)

    assert all(tick["runIds"] == [] for tick in ticks)
    assert {tick["status"] for tick in ticks} == {"SKIPPED"}
    assert len(instance.get_run_records()) == 2  # the two demo runs, nothing more


def test_a_failed_files_partition_page_shows_why(dev_after_demo, page: Page):
    page.goto(f"{dev_after_demo[0]}/assets/crawled_table?view=partitions&partition=messy_imdb_dataset.csv")
    with contextlib.suppress(PlaywrightTimeoutError):  # Dagster's newsletter dialog greets a fresh profile
        page.get_by_role("button", name="Skip").click(timeout=8_000)
    expect(page.get_by_text("failed, and did not materialize this asset")).to_be_visible(timeout=60_000)

    expect(page.get_by_role("button", name=re.compile(r"View all historical events \(1\)"))).to_be_visible()

    # Open-source Dagster keeps no failure event per partition: the reason is the partition's observation.
    page.goto(f"{dev_after_demo[0]}/assets/crawled_table?view=events&partition=messy_imdb_dataset.csv")
    expect(page.get_by_text(re.compile(r"Partition\s+messy_imdb_dataset\.csv\s+observed")).first).to_be_visible(
        timeout=30_000
    )

    expect(page.get_by_text(re.compile(r"the header looks semicolon-separated")).first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("UnreadableFileError").first).to_be_visible()
    screenshot(page, "failed_partition")
