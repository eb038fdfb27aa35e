"""A store kind written for an earlier release has neither `submit(checkpoints=...)` nor
`purge_rates`: the timers of one instant still commit (each with its own checkpoint) and the
purge loop ends at once instead of crashing and being restarted forever."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pytest

from hub.config.loader import load_text
from hub.engine import Hub
from hub.events import Event
from hub.flow.rates_purge import purge_rates_forever
from hub.invocation import NewInvocation
from hub.store.base import Checkpoint, Submitted
from hub.store.sqlite import SqliteStore
from hub.submission_together import Submission

pytestmark = pytest.mark.timeout(60)


class EarlierStore(SqliteStore):
    """The store interface as an earlier release knew it."""

    async def submit(  # type: ignore[override]
        self, items: Sequence[NewInvocation], checkpoint: Checkpoint | None = None
    ) -> list[Submitted]:
        return await super().submit(items, checkpoint)

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
