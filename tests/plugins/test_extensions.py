"""Adding a destination kind, a target kind and a store backend is one package plus entry points:
a distribution installed on sys.path (a real `.dist-info` with `entry_points.txt`) brings
them, and a triggers file uses them through a real Hub, validated like the built-in ones."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from hub import Event, Hub
from hub.config.loader import load_text
from hub.destinations.kinds import destination_kinds
from hub.errors import ConfigError
from hub.store.kinds import store_kinds
from hub.targets.kinds import target_kinds
from tests.waiting import until

PACKAGE = '''\
"""A third-party extension: a destination, a target and a store backend."""

from pathlib import Path
from typing import Any, Literal

from hub.config.base import Strict
from hub.config.settings import StoreSettings
from hub.destinations.kinds import DestinationKind
from hub.events import WireEvent
from hub.store.kinds import StoreKind
from hub.targets.base import TargetResult
from hub.targets.kinds import TargetKind


class NotebookDestination(Strict):
    type: Literal["notebook"] = "notebook"
    page: str
    heading: str = "record"


async def write_page(config: NotebookDestination, record: bytes, _session: Any) -> str:
    with open(config.page, "ab") as page:
        page.write(config.heading.encode() + b" " + record + b"\\n")
    return f"notebook {config.page}"


class ShoutTarget(Strict):
    type: Literal["shout"] = "shout"
    times: int = 1


class Shout:
    def __init__(self, config: ShoutTarget) -> None:
        self.times = config.times

    async def __call__(self, event: WireEvent) -> TargetResult:
        return TargetResult(payload=str(event.event.data["word"]).upper() * self.times)

    async def close(self) -> None:
        return None


def shout(config: ShoutTarget, _session: Any) -> Shout:
    return Shout(config)


def open_journal(settings: StoreSettings) -> Any:
    from hub.store.sqlite import SqliteStore

    path = settings.url.removeprefix("journal://")
    Path(path).touch()  # proves this backend, not the built-in one, opened the file
    return SqliteStore(path, settings.synchronous, settings.dedup_window)


NOTEBOOK = DestinationKind("notebook", NotebookDestination, "acme_ext:write_page")
SHOUT = TargetKind("shout", ShoutTarget, "acme_ext:shout")
JOURNAL = StoreKind("journal", StoreSettings, "acme_ext:open_journal")
'''

ENTRY_POINTS = """\
[triggerhub.destinations]
notebook = acme_ext:NOTEBOOK

[triggerhub.targets]
shout = acme_ext:SHOUT

[triggerhub.stores]
journal = acme_ext:JOURNAL
"""


@pytest.fixture
def acme_ext(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "acme_ext.py").write_text(PACKAGE)
    dist = site / "acme_ext-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-ext\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(site))
    registries = (destination_kinds, target_kinds, store_kinds)
    for kinds in registries:  # the distribution was installed after the daemon looked
        kinds.loaded().load_entry_points()
    yield
    destination_kinds.unregister("notebook")
    target_kinds.unregister("shout")
    store_kinds.unregister("journal")
    sys.modules.pop("acme_ext", None)


def document(tmp_path: Path, page: Path, destination: str) -> str:
    return textwrap.dedent(
        f"""\
        hub:
          store: {{url: "journal://{tmp_path}/journal.db"}}
        functions:
          loud:
            target: {{type: shout, times: 2}}
            on_success: {destination}
        """
    ).replace("PAGE", str(page))


@pytest.mark.usefixtures("acme_ext")
async def test_a_third_party_destination_target_and_store_work_from_yaml(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    doc = load_text(document(tmp_path, page, "{type: notebook, page: PAGE, heading: done}"), env={})
    assert type(doc.functions["loud"].on_success).__name__ == "NotebookDestination"
    async with Hub(doc.hub, doc.functions) as hub:
        [submitted] = await hub.submit("loud", [Event(type="t", source="s", data={"word": "hi"})])
        invocation = await hub.wait(submitted.id, timeout=10)
        assert (invocation.status, invocation.response) == ("succeeded", "HIHI")
        await until(lambda: page.exists() and page.read_bytes().endswith(b"\n"), timeout=10)
    heading, _, record = page.read_bytes().rstrip(b"\n").partition(b" ")
    assert heading == b"done"
    assert orjson.loads(record)["response_payload"] == "HIHI"
    assert (tmp_path / "journal.db").stat().st_size > 0


@pytest.mark.usefixtures("acme_ext")
def test_a_third_party_destination_is_validated_with_its_place(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_text(document(tmp_path, tmp_path / "p", "{type: notebook}"), "c.yaml", env={})
    assert str(caught.value) == (
        "c.yaml:6:5: functions.loud.on_success.page: missing required key 'page'"
    )
