"""The web console in a real headless Chromium against a real daemon with an API token."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from tests.console.conftest import TOKEN, Api
from tests.console.pages import answer_confirm, click, element, login, text_of, wait_for, wait_text
from tests.servers.daemon import Daemon
from tests.servers.process import free_port

pytestmark = pytest.mark.timeout(90)

XSS_DATA = "<script>alert(1)</script>"
XSS_SUBJECT = '"><img src=x onerror=alert(1)>'


def _status_is(api: Api, inv_id: str, *statuses: str) -> bool:
    return api.get(inv_id)["status"] in statuses


def test_login_page_guards_every_page_and_never_shows_the_token(
    browser: webdriver.Chrome, console_daemon: Daemon
) -> None:
    browser.delete_all_cookies()
    browser.get(console_daemon.url + "/")
    element(browser, "#token")
    assert browser.current_url.startswith(console_daemon.url + "/ui/login")
    wrong = "not-the-token-7c1d"
    browser.find_element(By.CSS_SELECTOR, "#token").send_keys(wrong)
    browser.find_element(By.CSS_SELECTOR, "#token").submit()
    wait_text(browser, ".error", "not the API token")
    assert wrong not in browser.page_source
    login(browser, console_daemon.url, TOKEN)
    assert TOKEN not in browser.page_source
    cookie = browser.get_cookie("triggerhub_session")
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    # The token is out of reach of the page's scripts.
    assert "triggerhub_session" not in browser.execute_script("return document.cookie")


def test_responses_carry_a_strict_content_security_policy(console_daemon: Daemon) -> None:
    for path in ("/ui/login", "/ui/static/console.css"):
        with urllib.request.urlopen(console_daemon.url + path, timeout=10) as response:
            policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "default-src 'none'" in policy


def test_state_changing_requests_need_the_csrf_token(
    browser: webdriver.Chrome, console_daemon: Daemon, api: Api
) -> None:
    inv_id = api.invoke("fail", {"n": 1})
    wait_for(browser, lambda _: _status_is(api, inv_id, "failed"))
    session = f"triggerhub_session={TOKEN}"
    for path, headers in (
        (f"/v1/invocations/{inv_id}/redrive", {"Cookie": session}),
        ("/ui/logout", {"Cookie": session}),
        (f"/v1/invocations/{inv_id}/redrive", {"Cookie": session, "X-CSRF-Token": "forged"}),
    ):
        request = urllib.request.Request(
            console_daemon.url + path, data=b"{}", method="POST", headers=headers
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        with refused.value:
            assert refused.value.code == 403, path
    assert api.get(inv_id)["status"] == "failed"  # nothing was redriven
    forged = urllib.request.Request(
        console_daemon.url + "/v1/functions", headers={"Cookie": "triggerhub_session=guess"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=10)
    with refused.value:
        assert refused.value.code == 401


def test_filter_the_list_and_open_a_detail_with_hostile_data_shown_as_text(
    browser: webdriver.Chrome, console_daemon: Daemon, api: Api
) -> None:
    login(browser, console_daemon.url, TOKEN)
    hostile = api.invoke_event(
        "echo",
        {
            "specversion": "1.0",
            "id": "xss-1",
            "source": "console-test",
            "type": "test.xss",
            "subject": XSS_SUBJECT,
            "data": {"text": XSS_DATA},
        },
    )
    failed = api.invoke("fail", {"n": 2})
    wait_for(browser, lambda _: _status_is(api, failed, "failed"))
    wait_for(browser, lambda _: _status_is(api, hostile, "succeeded"))

    browser.get(console_daemon.url + "/ui/invocations")
    element(browser, "#filters select[name=function]").send_keys("fail")
    element(browser, "#filters select[name=status]").send_keys("failed")
    browser.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    wait_for(browser, lambda d: "status=failed" in d.current_url)
    rows = browser.find_elements(By.CSS_SELECTOR, "table.list tbody tr[data-id]")
    assert rows, "the filtered list is empty"
    assert failed in {r.get_attribute("data-id") for r in rows}
    assert all(r.find_elements(By.TAG_NAME, "td")[2].text == "fail" for r in rows)

    browser.get(console_daemon.url + "/ui/invocations?source=console-test")
    element(browser, f"tr[data-id='{hostile}']")
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.list tbody tr[data-id]")) == 1

    browser.get(console_daemon.url + "/ui/invocations?function=echo")
    row = element(browser, f"tr[data-id='{hostile}']")
    assert XSS_SUBJECT in row.text  # the subject is shown as the text it is
    row.find_element(By.CSS_SELECTOR, "a").click()
    wait_text(browser, "#status", "succeeded")
    assert XSS_DATA in text_of(browser, "#data")
    assert XSS_SUBJECT in text_of(browser, "#attributes")
    assert not browser.find_elements(By.CSS_SELECTOR, "img[src='x']")
    assert not [
        s for s in browser.find_elements(By.TAG_NAME, "script") if not s.get_attribute("src")
    ]
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert browser.find_elements(By.CSS_SELECTOR, "svg.timeline rect.span.run")


def test_binary_data_is_shown_as_a_hex_dump(
    browser: webdriver.Chrome, console_daemon: Daemon, api: Api
) -> None:
    login(browser, console_daemon.url, TOKEN)
    inv_id = api.invoke_bytes("echo", b"\x00\xff<b>\x89PNG", "application/octet-stream")
    browser.get(f"{console_daemon.url}/ui/invocations/{inv_id}")
    wait_text(browser, "#data", "00000000  00 ff 3c 62 3e 89 50 4e 47")
    assert "..<b>.PNG" in text_of(browser, "#data")
    assert not browser.find_elements(By.CSS_SELECTOR, "#data b")


def test_stop_a_running_invocation_with_the_button(
    browser: webdriver.Chrome, console_daemon: Daemon, api: Api
) -> None:
    login(browser, console_daemon.url, TOKEN)
    inv_id = api.invoke("slow", {"seconds": 60})
    wait_for(browser, lambda _: _status_is(api, inv_id, "running"))
    browser.get(f"{console_daemon.url}/ui/invocations/{inv_id}")
    click(browser, "button[data-action$='/stop']")
    assert "Stop" in answer_confirm(browser)
    wait_for(browser, lambda _: _status_is(api, inv_id, "stopped"))
    wait_text(browser, "#status", "stopped")


def test_redrive_a_failed_invocation_with_the_button(
    browser: webdriver.Chrome, console_daemon: Daemon, api: Api
) -> None:
    login(browser, console_daemon.url, TOKEN)
    inv_id = api.invoke("fail", {"n": 3})
    wait_for(browser, lambda _: _status_is(api, inv_id, "failed"))
    browser.get(f"{console_daemon.url}/ui/invocations/{inv_id}")
    click(browser, "button[data-action$='/redrive']")
    answer_confirm(browser)
    wait_for(browser, lambda _: "redriven" in {h["detail"] for h in api.get(inv_id)["history"]})
    wait_text(browser, "table.history", "redriven")


def test_a_new_invocation_appears_in_the_list_without_a_reload(
    browser: webdriver.Chrome, console_daemon: Daemon, api: Api
) -> None:
    login(browser, console_daemon.url, TOKEN)
    browser.get(console_daemon.url + "/ui/invocations?function=slow")
    element(browser, "table.list")
    wait_text(browser, "#live-status", "live")
    browser.execute_script("window.sameDocument = true")
    inv_id = api.invoke("slow", {"seconds": 0})
    element(browser, f"tr[data-id='{inv_id}']")
    assert browser.execute_script("return window.sameDocument") is True


def test_without_a_token_on_loopback_there_is_no_login(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    workdir = tmp_path_factory.mktemp("open-console")
    port = free_port()
    config = workdir / "triggers.yaml"
    config.write_text(
        f'hub:\n  store: {{url: "sqlite:///{workdir}/hub.db"}}\n'
        f'  api: {{listen: "127.0.0.1:{port}"}}\nfunctions: {{}}\ntriggers: {{}}\n'
    )
    daemon = Daemon(config, workdir, api_port=port)
    daemon.start()
    try:
        with urllib.request.urlopen(daemon.url + "/", timeout=10) as response:
            page = response.read().decode()
            assert response.url.endswith("/ui/")
        assert 'aria-current="page">Overview' in page
        assert "Log out" not in page
    finally:
        daemon.terminate()


def test_without_a_token_on_loopback_the_console_acts(
    tmp_path_factory: pytest.TempPathFactory, browser: webdriver.Chrome
) -> None:
    """The default `scripts/run` case: no token, loopback. The page's own POSTs (from a
    loopback origin) are served; another site's are not (tests/daemon/test_api_hardening)."""
    workdir = tmp_path_factory.mktemp("open-console-acts")
    port = free_port()
    config = workdir / "triggers.yaml"
    config.write_text(
        f'hub:\n  store: {{url: "sqlite:///{workdir}/hub.db"}}\n'
        f'  api: {{listen: "127.0.0.1:{port}"}}\n'
        "functions:\n  hold:\n    target: {type: http, url: 'http://127.0.0.1:9/'}\n"
        "triggers: {}\n"
    )
    daemon = Daemon(config, workdir, api_port=port)
    daemon.start()
    try:
        browser.delete_all_cookies()
        browser.get(f"http://localhost:{port}/ui/functions")
        element(browser, "#f-hold")
        click(browser, "#f-hold button[data-action$='/pause']")
        answer_confirm(browser)

        def paused() -> bool:
            with urllib.request.urlopen(daemon.url + "/v1/functions", timeout=10) as response:
                [hold] = json.loads(response.read())["items"]
            return bool(hold["paused"])

        wait_for(browser, lambda _: paused())
    finally:
        daemon.terminate()


def test_the_overview_lists_the_newest_failures_with_their_error(
    browser: webdriver.Chrome, console_daemon: Daemon, api: Api
) -> None:
    login(browser, console_daemon.url, TOKEN)
    failed = api.invoke("fail", {"for": "the overview"})
    wait_for(browser, lambda _: _status_is(api, failed, "failed"), 30)
    browser.get(console_daemon.url + "/ui/")
    link = element(browser, f'a[href="/ui/invocations/{failed}"]')
    entry = link.find_element(By.XPATH, "..").text
    assert "fail" in entry and "this function always fails" in entry, entry
