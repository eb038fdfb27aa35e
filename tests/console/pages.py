"""Waiting on what the browser shows: every wait has a deadline and re-checks a condition."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.alert import Alert
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

T = TypeVar("T")
WAIT = 15.0


def wait_for(
    driver: webdriver.Chrome, check: Callable[[webdriver.Chrome], T], timeout: float = WAIT
) -> T:
    # Live updates replace parts of the page: an element found a moment ago may be gone.
    return WebDriverWait(
        driver, timeout, poll_frequency=0.05, ignored_exceptions=[StaleElementReferenceException]
    ).until(check)


def element(driver: webdriver.Chrome, css: str, timeout: float = WAIT) -> WebElement:
    return wait_for(
        driver, expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)), timeout
    )


def text_of(driver: webdriver.Chrome, css: str) -> str:
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].text if found else ""


def wait_text(driver: webdriver.Chrome, css: str, wanted: str, timeout: float = WAIT) -> None:
    wait_for(driver, lambda d: wanted in text_of(d, css), timeout)


def answer_confirm(driver: webdriver.Chrome, accept: bool = True) -> str:
    alert: Alert = wait_for(driver, expected_conditions.alert_is_present())
    question = alert.text
    if accept:
        alert.accept()
    else:
        alert.dismiss()
    return question


def login(driver: webdriver.Chrome, base: str, token: str) -> None:
    """Log in through the form, unless the session cookie is already there."""
    driver.get(base + "/ui/")
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#token, nav"))
    if driver.find_elements(By.CSS_SELECTOR, "#token"):
        field = driver.find_element(By.CSS_SELECTOR, "#token")
        field.send_keys(token)
        field.submit()
    element(driver, "nav a[aria-current='page']")


def click(driver: webdriver.Chrome, css: str, timeout: float = WAIT) -> None:
    """Click the element, found afresh if a live update replaced it in between."""

    def clicked(d: webdriver.Chrome) -> bool:
        found = d.find_elements(By.CSS_SELECTOR, css)
        if not found or not found[0].is_enabled():
            return False
        found[0].click()
        return True

    wait_for(driver, clicked, timeout)
