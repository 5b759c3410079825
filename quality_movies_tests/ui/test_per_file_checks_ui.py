"""The per-file status of a rule check in the Dagster UI: the file that fails the rule is red, the other green."""

import pytest
from playwright.sync_api import Page, expect

from quality_movies_tests.ui.conftest import CLEAN_FILE, FAILING_FILE, screenshot
from quality_movies_tests.ui.test_dagster_ui import TIMEOUT, _open

pytestmark = pytest.mark.browser
YEAR_RULE = "columnvalues_released_year_matches_0_9_4"


def _shown(page: Page, text: str):
    return page.locator(f'text="{text}" >> visible=true')


def test_a_rule_checks_partitions_tab_shows_which_file_failed_it(page: Page):
    _open(page, f"/assets/dq_evaluated_rows?view=checks&checkDetail={YEAR_RULE}")
    expect(page.get_by_text("Checks (7)")).to_be_visible(timeout=TIMEOUT)

    page.get_by_role("tab", name="Partitions").last.click()

    expect(page.get_by_text("2 Partitions Selected")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Failed (1)")).to_be_visible()
    expect(page.get_by_text("Passed (1)")).to_be_visible()
    for name in (CLEAN_FILE, FAILING_FILE):
        expect(_shown(page, name).last).to_be_visible()  # a name is also rendered hidden, to measure it
    screenshot(page, "check_partitions")
    _shown(page, FAILING_FILE).last.click()  # the failing file's own evaluation
    expect(page.get_by_text("1 of 1000 evaluated rows do not meet the constraint requirement!").first).to_be_visible(
        timeout=TIMEOUT
    )
