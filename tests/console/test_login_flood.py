"""Wrong tokens typed at the login page: each is refused, and the log says so in a line per
interval with a count, not one line per attempt that a script could flood it with."""

from __future__ import annotations

import json
import re

import aiohttp
import pytest

from tests.servers.daemon import Daemon

pytestmark = pytest.mark.timeout(60)
ATTEMPTS = 200


async def test_a_flood_of_wrong_logins_is_refused_in_a_few_log_lines(
    console_daemon: Daemon,
) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(console_daemon.url + "/ui/login") as page:
            match = re.search(r'name="csrf-token" content="([0-9a-f]+)"', await page.text())
        assert match is not None
        for n in range(ATTEMPTS):
            form = {"token": f"guess-{n}", "csrf_token": match[1], "next": "/ui/"}
            async with session.post(
                console_daemon.url + "/ui/login", data=form, allow_redirects=False
            ) as resp:
                assert resp.status == 401
    lines = [json.loads(line) for line in console_daemon.log().splitlines()]
    refused = [line for line in lines if line["event"].startswith("console login refused")]
    assert refused, "a refused login must be logged"
    assert len(refused) <= 3, refused
    assert all("refused_since_last" in line for line in refused)
    assert not any("guess-" in json.dumps(line) for line in refused)  # never the token typed
