"""A hypothesis state machine drives the store through random operation sequences and checks it
against a plain model: statuses, attempts, dedup and leases always agree."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hub.errors import InvalidStateError
from hub.events import Event
from hub.ids import new_id
from hub.invocation import Invocation, NewInvocation
from hub.status import ACTIVE, REDRIVABLE, Status
from hub.store.base import Routing
from hub.store.sqlite import SqliteStore

KEYS = st.one_of(st.none(), st.sampled_from(["a", "b", "c"]))


class StoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.dir = tempfile.TemporaryDirectory()
        self.store = SqliteStore(Path(self.dir.name) / "hub.db")
        self.runner.run(self.store.open())
        self.status: dict[str, Status] = {}
        self.attempts: dict[str, int] = {}
        self.keys: dict[str, str] = {}
        self.leased: dict[str, Invocation] = {}
        self.running: set[str] = set()
        self.clock = time.time()

    def teardown(self) -> None:
        self.runner.run(self.store.close())
        self.runner.close()
        self.dir.cleanup()

    def run(self, coro):  # type: ignore[no-untyped-def]
        return self.runner.run(coro)

    @rule(key=KEYS, n=st.integers(1, 3))
    def submit(self, key: str | None, n: int) -> None:
        items = [
            NewInvocation(
                id=new_id(),
                function="f",
                event=Event(type="t", source="s"),
                not_before=self.clock,
                deadline=self.clock + 3600,
                idempotency_key=key,
            )
            for _ in range(n)
        ]
        results = self.run(self.store.submit(items))
        for it, res in zip(items, results, strict=True):
            if key is not None and key in self.keys:
                assert not res.created and res.id == self.keys[key]
                continue
            assert res.created and res.id == it.id
            self.status[it.id] = Status.QUEUED
            self.attempts[it.id] = 0
            if key is not None:
                self.keys[key] = it.id

    @rule(limit=st.integers(1, 5))
    def lease(self, limit: int) -> None:
        leased, _ = self.run(self.store.lease("me", self.clock, limit, self.clock + 1000))
        for inv in leased:
            assert self.status[inv.id] in (Status.QUEUED, Status.RETRYING)
            assert inv.id not in self.leased
            self.leased[inv.id] = inv
        due = [
            i
            for i, s in self.status.items()
            if s in (Status.QUEUED, Status.RETRYING) and i not in self.leased
        ]
        if len(leased) < limit:
            assert due == []  # everything due was handed out

    @precondition(lambda self: any(i not in self.running for i in self.leased))
    @rule(data=st.data())
    def start(self, data: st.DataObject) -> None:
        inv_id = data.draw(st.sampled_from(sorted(i for i in self.leased if i not in self.running)))
        self.run(self.store.start(self.leased[inv_id], "me", self.clock, self.clock + 1000))
        self.run(self.store.flush())  # start is fire-and-forget; reads must see it
        self.running.add(inv_id)
        self.status[inv_id] = Status.RUNNING
        self.attempts[inv_id] += 1

    @precondition(lambda self: bool(self.running))
    @rule(data=st.data(), outcome=st.sampled_from(["ok", "fail", "retry"]))
    def end_attempt(self, data: st.DataObject, outcome: str) -> None:
        inv_id = data.draw(st.sampled_from(sorted(self.running)))
        inv = self.leased.pop(inv_id)
        self.running.discard(inv_id)
        if outcome == "retry":
            # Due again at once (the store's clock and ours agree), so a later lease sees it.
            assert self.run(self.store.retry(inv, "me", self.clock, self.clock - 1, "e"))
            self.status[inv_id] = Status.RETRYING
            return
        status = Status.SUCCEEDED if outcome == "ok" else Status.FAILED
        done = self.run(
            self.store.finalize(inv, "me", self.clock, status, "c", None, None, Routing())
        )
        assert done
        self.status[inv_id] = status

    @precondition(lambda self: bool(self.status))
    @rule(data=st.data())
    def stop(self, data: st.DataObject) -> None:
        inv_id = data.draw(st.sampled_from(sorted(self.status)))
        try:
            before = self.run(self.store.stop(inv_id, self.clock, Routing()))
        except InvalidStateError:
            assert self.status[inv_id] not in ACTIVE
            return
        assert before == self.status[inv_id]
        self.status[inv_id] = Status.STOPPED
        self.leased.pop(inv_id, None)
        self.running.discard(inv_id)

    @precondition(lambda self: bool(self.status))
    @rule(data=st.data())
    def redrive(self, data: st.DataObject) -> None:
        inv_id = data.draw(st.sampled_from(sorted(self.status)))
        try:
            self.run(self.store.redrive(inv_id, self.clock, self.clock + 3600))
        except InvalidStateError:
            assert self.status[inv_id] not in REDRIVABLE
            return
        assert self.status[inv_id] in REDRIVABLE
        self.status[inv_id] = Status.QUEUED
        self.attempts[inv_id] = 0

    @invariant()
    def store_agrees_with_model(self) -> None:
        for inv_id, status in self.status.items():
            inv = self.run(self.store.get(inv_id))
            assert inv is not None
            assert inv.status is status, (inv_id, inv.status, status)
            assert inv.attempts == self.attempts[inv_id]
            assert [t.status for t in inv.history][-1] == str(status) or (status is Status.RETRYING)

    @invariant()
    def counts_agree(self) -> None:
        counts = self.run(self.store.counts())
        expected: dict[str, int] = {}
        for s in self.status.values():
            if s in ACTIVE:
                expected[str(s)] = expected.get(str(s), 0) + 1
        assert counts == expected


StoreMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestStoreStateMachine = StoreMachine.TestCase
