"""Debian's headless Chromium driven through its own chromedriver (the two packages always
share a version). A missing browser fails the test with the install command: never a skip."""

from __future__ import annotations

import shutil
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL = "apt-get install -y chromium chromium-driver (scripts/install-test-deps.sh does it)"


class BrowserMissing(AssertionError):
    pass


def start_chromium(download_dir: Path, width: int = 1280, height: int = 900) -> webdriver.Chrome:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists() and shutil.which(Path(path).name) is None:
            raise BrowserMissing(f"{path} is missing; install it: {INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",  # tests run as root in containers
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        "--force-prefers-reduced-motion",
    ):
        options.add_argument(flag)
    # confirm() dialogs stay open for the test to answer, instead of being dismissed.
    options.set_capability("unhandledPromptBehavior", "ignore")
    options.add_experimental_option("prefs", {"download.default_directory": str(download_dir)})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(10)
    return driver
