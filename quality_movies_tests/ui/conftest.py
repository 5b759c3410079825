"""`dagster dev` on 127.0.0.1 over a lake with two processed files, and a Chromium driven by Playwright.

The browser is whichever Chromium is already there: Debian's package (`/usr/bin/chromium`, what `make test`
installs as root on Debian, as CI does), else one Playwright manages (`playwright install chromium`, e.g. on
macOS). The tests never download one; without either they are skipped with one line saying how to get one.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from quality_movies.definitions import build_definitions, resolved, resources_from_env
from quality_movies.partitions import landed_files
from quality_movies_tests.conftest import IMDB_CSV, read_imdb

REPO = Path(__file__).resolve().parents[2]
DEBIAN_CHROMIUM = "/usr/bin/chromium"
NO_CHROMIUM = (
    "no Chromium for the browser tests: install Debian's (apt-get install chromium) "
    "or a Playwright-managed one (.venv/bin/playwright install chromium)"
)
# Without the background-networking flags Chromium keeps calling out, and this machine's network refuses it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts"
CLEAN_FILE, FAILING_FILE = "clean_movies.csv", "imdb_movies_rating.csv"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _process_two_files(home: Path, instance: dg.DagsterInstance) -> None:
    """One file that passes every rule and the real IMDb file (two rules fail), run as the sensor would."""
    clean = home / CLEAN_FILE
    frame = read_imdb()
    frame.filter(frame["imdb_rating"].cast(float) > 8.5).write_csv(clean)
    lake = resolved(resources_from_env(home)["lake"])
    job = build_definitions(home).resolve_job_def("ingest_landed_file")
    for source in (clean, IMDB_CSV):
        key = f"{lake.landing_prefix}/{source.name}"
        lake.put_file(source, key)
        instance.add_dynamic_partitions(landed_files.name, [lake.partition_key(key)])
        assert job.execute_in_process(partition_key=lake.partition_key(key), instance=instance).success
        lake.delete(key)  # archived under processed/; the sensor must find nothing new to run


def _wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dagster dev exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"dagster dev did not answer at {url} within {timeout} s")


def new_dagster_home(home: Path) -> Path:
    """A DAGSTER_HOME under `home` with the project's instance settings, as `make` prepares one."""
    dagster_home = home / "dagster_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text((REPO / "dagster_instance.yaml").read_text())
    return dagster_home


@contextlib.contextmanager
def dagster_dev(home: Path, dagster_home: Path) -> Iterator[str]:
    """`dagster dev` (webserver, daemon, sensors) on a free port of 127.0.0.1, as `make dev` starts it; its URL."""
    port = _free_port()
    env = {**os.environ, "QUALITY_MOVIES_HOME": str(home), "DAGSTER_HOME": str(dagster_home)}
    log = (home / "dagster_dev.log").open("w")
    command = [str(Path(os.sys.executable).parent / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "-p", str(port)], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="session")
def dagster_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("ui_home")
    dagster_home = new_dagster_home(home)
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        _process_two_files(home, instance)
    with dagster_dev(home, dagster_home) as url:
        yield url


def chromium_executable(playwright_managed: str | None) -> str | None:
    """Debian's Chromium (or a `chromium` on PATH), else the Playwright-managed one if installed, else None."""
    for candidate in (DEBIAN_CHROMIUM, shutil.which("chromium"), playwright_managed):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        executable = chromium_executable(playwright.chromium.executable_path)
        if executable is None:
            pytest.skip(NO_CHROMIUM)
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, dagster_ui: str) -> Iterator[Page]:
    context = browser.new_context(base_url=dagster_ui, viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save what the browser shows as a test artifact (and for the README)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=False)
    return path
