"""A real daemon with an API token, and a real headless Chromium logged in to its console."""

from __future__ import annotations

import json
import textwrap
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from selenium import webdriver

from tests.console.browser import start_chromium
from tests.servers.daemon import Daemon
from tests.servers.process import free_port

TOKEN = "console-test-token-3f9a"
FUNCTIONS = """
import asyncio

async def slow(event):
    await asyncio.sleep(event.data.get("seconds", 0) if isinstance(event.data, dict) else 0)
    return {"slept": True}

async def fail(event):
    raise RuntimeError("this function always fails")

async def echo(event):
    return event.data
"""
CONFIG = """\
hub:
  store: {{url: "sqlite:///{dir}/hub.db", lease_timeout: 5s}}
  api: {{listen: "127.0.0.1:{port}"}}
functions:
  slow: {{target: {{type: python, handler: "consolefns:slow"}}, timeout: 120s}}
  fail:
    target: {{type: python, handler: "consolefns:fail"}}
    max_retry_attempts: 0
  echo: {{target: {{type: python, handler: "consolefns:echo"}}}}
  bulkfail:
    target: {{type: python, handler: "consolefns:fail"}}
    max_retry_attempts: 0
  flaky:
    target: {{type: python, handler: "consolefns:fail"}}
    max_retry_attempts: 2
    retry_backoff: {{initial: 0.3s, jitter: false}}
    on_failure: {{type: file, path: "{dir}/dead-letter.jsonl"}}
triggers:
  ticker:
    type: timer
    function: echo
    schedule: "@every 1s"
    data: {{from: ticker}}
  berlin:
    type: timer
    function: echo
    schedule: "30 2 * * *"
    timezone: Europe/Berlin
"""


@dataclass
class Api:
    """The daemon's JSON API, with the bearer token."""

    url: str

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {TOKEN}",
                "Content-Type": "application/json",
                **headers,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, json.loads(exc.read() or b"null")

    def invoke(self, function: str, data: Any, **headers: str) -> str:
        status, body = self.call("POST", f"/v1/functions/{function}/invocations", data, **headers)
        assert status == 202, body
        return str(body["id"])

    def invoke_bytes(self, function: str, body: bytes, content_type: str) -> str:
        request = urllib.request.Request(
            f"{self.url}/v1/functions/{function}/invocations",
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 202
            return str(json.loads(response.read())["id"])

    def invoke_event(self, function: str, event: dict[str, Any]) -> str:
        status, body = self.call(
            "POST",
            f"/v1/functions/{function}/invocations",
            event,
            **{"Content-Type": "application/cloudevents+json"},
        )
        assert status == 202, body
        return str(body["id"])

    def get(self, inv_id: str) -> dict[str, Any]:
        status, body = self.call("GET", f"/v1/invocations/{inv_id}")
        assert status == 200, body
        return dict(body)


@pytest.fixture(scope="module")
def console_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    workdir = tmp_path_factory.mktemp("console")
    (workdir / "consolefns.py").write_text(textwrap.dedent(FUNCTIONS))
    port = free_port()
    config = workdir / "triggers.yaml"
    config.write_text(CONFIG.format(dir=workdir, port=port))
    daemon = Daemon(config, workdir, {"TRIGGERHUB_API_TOKEN": TOKEN}, api_port=port)
    daemon.start()
    try:
        yield daemon
    finally:
        if daemon.running:
            daemon.terminate()


@pytest.fixture(scope="module")
def api(console_daemon: Daemon) -> Api:
    return Api(console_daemon.url)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    driver = start_chromium(tmp_path_factory.mktemp("downloads"))
    try:
        yield driver
    finally:
        driver.quit()


Open = Callable[[str], None]


@pytest.fixture
def open_page(browser: webdriver.Chrome, console_daemon: Daemon) -> Open:
    def go(path: str) -> None:
        browser.get(console_daemon.url + path)

    return go
