"""What a person sees in the Dagster UI, rendered by a real Chromium: lineage, rule checks, the bad rows."""

import contextlib
import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from quality_movies_tests.ui.conftest import screenshot

pytestmark = pytest.mark.browser

ASSETS = (
    "landed_file",
    "crawled_table",
    "dq_evaluated_rows",
    "good_rows",
    "bad_rows",
    "imdb_movies_rating",
    "year_aggreg",  # the view's name is shortened in its node
)
TIMEOUT = 60_000  # the first page load compiles the code location's snapshot


def _open(page: Page, path: str) -> None:
    page.goto(path)
    # A fresh browser profile is greeted by Dagster's newsletter dialog, which may not come at all.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.get_by_role("button", name="Skip").click(timeout=8_000)


def test_the_lineage_page_shows_every_asset_from_the_landed_file_to_the_view(page: Page):
    _open(page, "/asset-groups")
    expect(page.get_by_text("Global asset lineage")).to_be_visible(timeout=TIMEOUT)
    page.mouse.click(900, 300, button="right")
    page.get_by_role("menuitem", name="Expand all groups").click()

    for name in ASSETS:
        expect(page.get_by_text(re.compile(rf"^{name}")).first).to_be_visible(timeout=TIMEOUT)
    for group in ("landing", "catalog", "quality", "warehouse"):
        expect(page.get_by_text(group, exact=True).first).to_be_visible()
    screenshot(page, "lineage")


def test_the_checks_page_shows_each_rule_passed_or_failed_with_its_text_and_sample(page: Page):
    _open(page, "/assets/dq_evaluated_rows?view=checks&checkDetail=columnvalues_released_year_matches_0_9_4")
    expect(page.get_by_text("Checks (7)")).to_be_visible(timeout=TIMEOUT)

    rule_list = page.get_by_text(re.compile(r"^iscomplete_genre$")).first.locator("xpath=../..")
    expect(rule_list).to_contain_text("Succeeded", timeout=TIMEOUT)
    expect(page.get_by_text("Failed").first).to_be_visible()
    expect(page.get_by_text('DQDL rule ColumnValues "released_year" matches "[0-9]{4}"')).to_be_visible()
    expect(page.get_by_text("failing_sample")).to_be_visible()
    expect(page.get_by_text("1 of 1000 evaluated rows do not meet the constraint requirement!")).to_be_visible()
    screenshot(page, "checks")


def test_the_bad_rows_page_previews_the_first_bad_rows_with_their_failed_rules(page: Page):
    _open(page, "/assets/bad_rows")
    expect(page.get_by_text("preview")).to_be_visible(timeout=TIMEOUT)

    expect(page.get_by_text("Joker").first).to_be_visible()
    expect(page.get_by_text('ColumnValues "imdb_rating" between 8.5 and 10.3').first).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"bad_records/source_file=imdb_movies_rating\.csv/run_id=")).first
    ).to_be_visible()
    screenshot(page, "bad_rows")
