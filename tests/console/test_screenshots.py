"""Screenshots of every console page, made from the real daemon in the real browser; the test
fails if a page does not render. They go to the test's temporary directory, so the suite
leaves the checkout as it was; with TRIGGERHUB_REFRESH_SCREENSHOTS=1 they replace the README's
(docs/console/)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium import webdriver

from tests.console.conftest import TOKEN, Api
from tests.console.pages import element, login, wait_for, wait_text
from tests.servers.daemon import Daemon

pytestmark = pytest.mark.timeout(120)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "console"
REFRESH = "TRIGGERHUB_REFRESH_SCREENSHOTS"
WIDTH = 1280
PHONE = (390, 844)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshots go: the README's directory only when asked to refresh it."""
    return DOCS if os.environ.get(REFRESH) == "1" else tmp_path


def shoot(driver: webdriver.Chrome, to: Path, name: str, width: int = WIDTH) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(int(height) + 120, 700), 2400))
    to.mkdir(parents=True, exist_ok=True)
    path = to / f"{name}.png"
    assert driver.save_screenshot(str(path)), name
    assert path.stat().st_size > 10_000, f"{name}.png looks empty"


def test_screenshots_of_every_page(
    browser: webdriver.Chrome, console_daemon: Daemon, api: Api, shots: Path
) -> None:
    browser.delete_all_cookies()
    browser.set_window_size(WIDTH, 800)
    browser.get(console_daemon.url + "/ui/login")
    element(browser, "#token")
    shoot(browser, shots, "login")
    login(browser, console_daemon.url, TOKEN)

    for n in range(6):
        api.invoke("echo", {"order": n, "customer": f"c-{n}"})
    api.invoke("slow", {"seconds": 30})
    flaky = api.invoke("flaky", {"order": 99})
    wait_for(browser, lambda _: api.get(flaky)["status"] == "failed", 30)

    browser.get(console_daemon.url + "/ui/")
    element(browser, ".tiles")
    shoot(browser, shots, "overview")
    browser.get(console_daemon.url + "/ui/invocations")
    element(browser, "table.list tbody tr[data-id]")
    shoot(browser, shots, "invocations")
    browser.get(f"{console_daemon.url}/ui/invocations/{flaky}")
    wait_for(browser, lambda d: len(d.find_elements("css selector", "rect.span.backoff")) == 2)
    shoot(browser, shots, "invocation")
    browser.get(console_daemon.url + "/ui/triggers")
    wait_text(browser, "#t-berlin", "Next fire times")
    shoot(browser, shots, "triggers")
    browser.get(console_daemon.url + "/ui/functions")
    element(browser, "#f-flaky")
    shoot(browser, shots, "functions")

    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
    )
    try:
        browser.get(console_daemon.url + "/ui/invocations")
        element(browser, "table.list tbody tr[data-id]")
        shoot(browser, shots, "invocations-phone-dark", PHONE[0])
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        browser.set_window_size(WIDTH, 900)
    # The README shows each page made here, and no other.
    assert sorted(p.name for p in shots.glob("*.png")) == sorted(p.name for p in DOCS.glob("*.png"))
