"""The console's bulk redrive by filter and a trigger's pause and resume, through the API's
own routes, in a real browser on a real daemon."""

from __future__ import annotations

import pytest
from selenium import webdriver

from tests.console.conftest import TOKEN, Api
from tests.console.pages import answer_confirm, click, element, login, wait_for, wait_text
from tests.servers.daemon import Daemon

pytestmark = pytest.mark.timeout(90)


def _redriven(api: Api, inv_id: str) -> bool:
    return "redriven" in {h["detail"] for h in api.get(inv_id)["history"]}


def test_bulk_redrive_by_filter_counts_first_then_redrives_every_match(
    browser: webdriver.Chrome, console_daemon: Daemon, api: Api
) -> None:
    login(browser, console_daemon.url, TOKEN)
    ids = [api.invoke("bulkfail", {"n": n}) for n in range(3)]
    wait_for(browser, lambda _: all(api.get(i)["status"] == "failed" for i in ids))
    browser.get(console_daemon.url + "/ui/invocations?function=bulkfail&status=failed")
    element(browser, f"tr[data-id='{ids[0]}']")
    click(browser, "button[data-bulk='redrive'][data-scope='filter']")
    question = answer_confirm(browser)
    assert "3 invocation" in question, question
    wait_text(browser, "#flash", "3 of 3")
    wait_for(browser, lambda _: all(_redriven(api, i) for i in ids))


def test_pause_and_resume_a_trigger_from_its_page(
    browser: webdriver.Chrome, console_daemon: Daemon, api: Api
) -> None:
    login(browser, console_daemon.url, TOKEN)
    browser.get(console_daemon.url + "/ui/triggers")
    element(browser, "#t-ticker")
    click(browser, "#t-ticker button[data-action$='/pause']")
    answer_confirm(browser)
    wait_text(browser, "#t-ticker [data-state]", "paused")
    status, triggers = api.call("GET", "/v1/triggers")
    assert status == 200 and triggers["ticker"]["state"] == "paused"
    events = triggers["ticker"]["events_in"]
    click(browser, "#t-ticker button[data-action$='/resume']")
    wait_for(browser, lambda _: api.call("GET", "/v1/triggers")[1]["ticker"]["events_in"] > events)
    wait_text(browser, "#t-ticker [data-state]", "connected")


def test_stop_the_ticked_invocations(
    browser: webdriver.Chrome, console_daemon: Daemon, api: Api
) -> None:
    login(browser, console_daemon.url, TOKEN)
    ids = [api.invoke("slow", {"seconds": 60}) for _ in range(3)]
    wait_for(browser, lambda _: all(api.get(i)["status"] == "running" for i in ids))
    browser.get(console_daemon.url + "/ui/invocations?function=slow&status=running")
    for inv_id in ids[:2]:
        click(browser, f".pick[value='{inv_id}']")
    wait_text(browser, "#selected-count", "2")
    click(browser, "button[data-bulk='stop'][data-scope='selected']")
    assert "2 invocation(s) selected" in answer_confirm(browser)
    wait_text(browser, "#flash", "2 of 2")
    assert [api.get(i)["status"] for i in ids] == ["stopped", "stopped", "running"]
    api.call("POST", f"/v1/invocations/{ids[2]}/stop")
