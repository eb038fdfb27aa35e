"""A store kind written for an earlier release has neither `submit(checkpoints=...)`,
`purge_rates` nor `match(oldest_first=...)`: the timers of one instant still commit (each
with its own checkpoint), the purge loop ends at once instead of crashing and being
restarted forever, and a bulk redrive walks newest first as it did."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pytest

from hub.config.loader import load_text
from hub.control.bulk import redrive_matching, stop_matching
from hub.engine import Hub
from hub.events import Event
from hub.flow.rates_purge import purge_rates_forever
from hub.invocation import Invocation, NewInvocation
from hub.status import Status
from hub.store.base import Checkpoint, Submitted
from hub.store.bulk import BATCH, Selection
from hub.store.sqlite import SqliteStore
from hub.submission_together import Submission

pytestmark = pytest.mark.timeout(60)


class EarlierStore(SqliteStore):
    """The store interface as an earlier release knew it."""

    async def submit(  # type: ignore[override]
        self, items: Sequence[NewInvocation], checkpoint: Checkpoint | None = None
    ) -> list[Submitted]:
        return await super().submit(items, checkpoint)

    async def match(  # type: ignore[override]
        self, selection: Selection, cursor: str | None, limit: int = BATCH
    ) -> list[Invocation]:
        return await super().match(selection, cursor, limit)

    @property
    def purge_rates(self) -> NoReturn:  # type: ignore[override]
        raise AttributeError("purge_rates")


async def test_batches_of_one_instant_commit_each_with_its_checkpoint(tmp_path: Path) -> None:
    doc = load_text(
        f'hub: {{store: {{url: "sqlite:///{tmp_path}/hub.db"}}}}\n'
        "functions:\n  job:\n    target: {type: http, url: 'http://127.0.0.1:9/'}\n"
    )
    store = EarlierStore(tmp_path / "hub.db", dedup_window=3600)
    async with Hub(doc.hub, doc.functions, store=store) as hub:
        outcomes = await hub.submit_together(
            [
                Submission([("job", [Event(type="t", source=name)])], Checkpoint(name, "7"))
                for name in ("timer-a", "timer-b")
            ]
        )
        assert all(not isinstance(o, Exception) for o in outcomes), outcomes
        made = [s for outcome in outcomes for batch in outcome for s in batch]  # type: ignore[union-attr]
        assert len(made) == 2 and all(s.created for s in made)
        assert await store.get_checkpoint("timer-a") == "7"
        assert await store.get_checkpoint("timer-b") == "7"


async def test_the_rate_purge_loop_ends_for_a_store_without_it(tmp_path: Path) -> None:
    store = EarlierStore(tmp_path / "hub.db", dedup_window=3600)
    await store.open()
    try:
        await asyncio.wait_for(purge_rates_forever(store, every=0.01), timeout=5)
    finally:
        await store.close()


async def test_a_bulk_redrive_walks_newest_first_on_it(tmp_path: Path) -> None:
    doc = load_text(
        f'hub: {{store: {{url: "sqlite:///{tmp_path}/hub.db"}}}}\n'
        "functions:\n  job:\n    target: {type: http, url: 'http://127.0.0.1:9/'}\n"
    )
    store = EarlierStore(tmp_path / "hub.db", dedup_window=3600)
    async with Hub(doc.hub, doc.functions, store=store) as hub:
        events = [Event(type="t", source="s") for _ in range(3)]
        made = await hub.submit("job", events, delay=3600)
        queued = Selection(frozenset({Status.QUEUED}), function="job")
        assert (await stop_matching(hub, queued)).changed == 3
        stopped = Selection(frozenset({Status.STOPPED}), function="job")
        result = await redrive_matching(hub, stopped)
        assert (result.matched, result.changed) == (3, 3)
        # Queued again (and under way at once: a redrive is due now).
        again = [await hub.get(s.id) for s in made]
        assert all(inv is not None and inv.status is not Status.STOPPED for inv in again)
