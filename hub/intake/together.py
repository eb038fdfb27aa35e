"""Batches of many triggers submitted together, from one task, in one commit.

A trigger's runner reads a batch and submits it, one task per trigger. When many triggers
have a batch at the same moment (1,000 timers ticking at one instant), one task per trigger is
what costs: each wakes, submits and resumes on its own. A source that can tell when its batches
are due (a timer) may instead take its runner's `DirectIntake` (`attach`), and one task of its
own kind hands the batches of every trigger that is due to `SharedIntake.submit`: each is
filtered, counted, committed (with its own checkpoint) and acked exactly as its runner would,
but the plain ones share one store operation. Whatever the runner would do differently (the
trigger is not connected, paused, stopping, or its lease is lost) the source leaves to its
runner's own read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

from hub.intake.backlog import BacklogGate
from hub.intake.port import HubPort
from hub.intake.submit import BatchSubmitter
from hub.plugins.contract import Batch
from hub.supervisor import Supervisor

T = TypeVar("T")


class SharedIntake:
    """One per trigger set: what its triggers' batches are submitted together through."""

    def __init__(self, hub: HubPort, gate: BacklogGate, loops: Supervisor) -> None:
        self._hub = hub
        self.gate = gate
        self.loops = loops
        """Where a kind starts the one task that submits for all its triggers."""
        self._kinds: dict[str, Any] = {}

    def kind_state(self, kind: str, make: Callable[[], T]) -> T:
        """The one object a kind shares among its triggers here (a timer's scheduler)."""
        if kind not in self._kinds:
            self._kinds[kind] = make()
        return cast(T, self._kinds[kind])

    @property
    def admitting(self) -> bool:
        """Whether intake may go on, by the backlog gate's last count."""
        return not self.gate.holding

    async def refresh(self) -> None:
        """Count the backlog again if the last count is stale."""
        await self.gate.refresh()

    async def submit(self, entries: Sequence[tuple[DirectIntake, Batch]]) -> list[bool]:
        """Submit each trigger's batch, acked (True) or nacked (False) as its runner would."""
        submissions = [intake.submitter.prepare(batch) for intake, batch in entries]
        outcomes = await self._hub.submit_together(submissions)
        done = []
        for (intake, batch), submission, outcome in zip(
            entries, submissions, outcomes, strict=True
        ):
            if isinstance(outcome, Exception):
                await intake.submitter.refused(batch, outcome)
                done.append(False)
                continue
            await intake.submitter.accepted(batch, submission, outcome)
            intake.succeeded()
            done.append(True)
        return done


class DirectIntake:
    """What a runner lends its source to submit outside `read()`, through `shared`."""

    def __init__(
        self,
        shared: SharedIntake,
        submitter: BatchSubmitter,
        ready: Callable[[], bool],
        succeeded: Callable[[], None],
    ) -> None:
        self.shared = shared
        self.submitter = submitter
        self._ready = ready
        self.succeeded = succeeded

    @property
    def ready(self) -> bool:
        """The runner would read now: connected, not stopping, its lease held."""
        return self._ready()


@runtime_checkable
class TakesDirectIntake(Protocol):
    """Optional for a source: its runner hands it a DirectIntake before it starts."""

    def attach(self, intake: DirectIntake) -> None: ...
