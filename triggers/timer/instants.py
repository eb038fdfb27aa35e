"""One task for every timer of a trigger set: the next tick of each waiting timer in one heap,
one wake-up per instant, and every tick due at that instant submitted together (one commit,
hub/intake/together.py), each with its own idempotency key and last-tick checkpoint.

A timer whose tick is not the usual case (late past its grace, several ticks due, a batch
given back, its runner not reading: paused, stopping, lease lost) is woken instead, and its
own `read()` hands the tick to its runner as before. So a tick is only ever submitted by
one of the two, and the schedule arithmetic stays in the source.

The wait is recomputed from the wall clock (`hub.clock.now`) on every wake-up, and naps are
capped, so a clock step or a suspended machine is noticed instead of slept through."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import heapq
import itertools
from collections.abc import Awaitable, Callable, Iterator
from typing import Protocol

import structlog

from hub import clock
from hub.intake.together import DirectIntake, SharedIntake
from hub.plugins.contract import Batch
from hub.supervisor import Supervisor

log = structlog.get_logger("triggers.timer")
Sleep = Callable[[float], Awaitable[None]]
MAX_NAP = 30.0
# Instants with at least this many ticks defer the collector (below); smaller ones gain nothing,
# and timers ticking back to back one at a time would keep it off most of the time.
DEFER_FROM = 100
# How long an instant may keep the collector off: its commit takes milliseconds, but a store
# that stalls (a PostgreSQL server gone quiet, a disk that hangs) must not leave the whole
# daemon, which goes on allocating, without cyclic collection until the commit returns.
MAX_DEFERRAL = 1.0


class Timer(Protocol):
    """What the scheduler asks of a waiting timer source."""

    def fires_directly(self, now_ms: int) -> bool:
        """Its tick is due on time, alone, and its runner reads: submit it here."""

    def tick_batch(self) -> tuple[DirectIntake, Batch]:
        """The due tick's batch, and whom to submit it through; acked, the source moves on
        to the next tick, and until then it stays on this one (so a tick whose commit is in
        doubt is handed to its runner again, and refused as a duplicate if it was in)."""

    def next_tick(self) -> int | None:
        """After an acked tick: the one to wait for next (None: woken instead)."""


class Waiting:
    __slots__ = ("entry", "woken")

    def __init__(self, entry: int, woken: asyncio.Future[None]) -> None:
        self.entry = entry  # the sequence number of its live heap entry
        self.woken = woken


class InstantScheduler:
    def __init__(self, shared: SharedIntake | None, sleep: Sleep, loops: Supervisor) -> None:
        self._shared = shared
        self._sleep = sleep
        self._loops = loops
        self._heap: list[tuple[int, int, Timer]] = []
        self._seq = itertools.count()
        self._waiting: dict[Timer, Waiting] = {}
        self._task: asyncio.Task[None] | None = None
        self._nap: asyncio.Timeout | None = None  # cut short by _wake
        self._napping_until = float("inf")
        self._firing: set[Timer] = set()
        self._fired: asyncio.Future[None] | None = None

    @classmethod
    def of(cls, intake: DirectIntake, sleep: Sleep) -> InstantScheduler:
        """The scheduler the timers of `intake`'s trigger set share."""
        shared = intake.shared
        return shared.kind_state("timer", lambda: cls(shared, sleep, shared.loops))

    async def wait(self, timer: Timer, tick: int) -> None:
        """Return when `timer` should look at its clock itself: its tick is due but not for
        here, or something changed. Meanwhile its on-time ticks are submitted here."""
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._push(timer, tick, woken)
        try:
            await woken
        finally:
            self._leave(timer)

    async def settle(self, timer: Timer) -> None:
        """Return once a tick of `timer` being committed here is acked or given back."""
        if timer in self._firing and self._fired is not None:
            await asyncio.shield(self._fired)

    def _push(self, timer: Timer, tick: int, woken: asyncio.Future[None]) -> None:
        seq = next(self._seq)
        self._waiting[timer] = Waiting(seq, woken)
        heapq.heappush(self._heap, (tick, seq, timer))
        if self._task is None:
            self._task = self._loops.spawn("timer-instants", self._run)
        elif tick / 1000 < self._napping_until:
            self._wake()

    def _leave(self, timer: Timer) -> None:
        self._waiting.pop(timer, None)
        if not self._waiting:
            self._wake()  # nothing left to wait for: the task ends

    def _wake(self) -> None:
        if self._nap is not None and not self._nap.expired():
            self._nap.reschedule(asyncio.get_running_loop().time())

    async def _run(self) -> None:
        try:
            while self._due_top() is not None:
                tick = self._heap[0][0]
                now = clock.now()
                if tick / 1000 > now:
                    await self._nap_for(min(tick / 1000 - now, MAX_NAP))
                else:
                    await self._fire(max(tick, int(now * 1000)))
        except Exception as exc:
            # Not restarted as it is: the timers woken below come back, and the first starts
            # a new task.
            log.error("timer scheduler failed", error=repr(exc), exc_info=exc)
        finally:
            self._task = None
            waiting, self._waiting = list(self._waiting.values()), {}
            for each in waiting:  # stopped with timers waiting: they read for themselves
                _resolve(each.woken)

    def _due_top(self) -> int | None:
        """The earliest live heap entry's tick (stale entries dropped); None when empty."""
        while self._heap:
            tick, seq, timer = self._heap[0]
            waiting = self._waiting.get(timer)
            if waiting is not None and waiting.entry == seq:
                return tick
            heapq.heappop(self._heap)
        return None

    async def _nap_for(self, seconds: float) -> None:
        self._napping_until = clock.now() + seconds
        try:
            async with asyncio.timeout(None) as self._nap:
                await self._sleep(seconds)
        except TimeoutError:
            pass  # woken: a timer came or left
        finally:
            self._nap, self._napping_until = None, float("inf")

    async def _fire(self, now_ms: int) -> None:
        shared = self._shared
        # The gate as last counted: its refresh (a store read) comes after the commit.
        admitted = shared is not None and shared.admitting
        due: list[tuple[Timer, Waiting]] = []
        while (tick := self._due_top()) is not None and tick <= now_ms:
            _, _, timer = heapq.heappop(self._heap)
            due.append((timer, self._waiting[timer]))
        here: list[tuple[Timer, Waiting]] = []
        for timer, waiting in due:
            if admitted and timer.fires_directly(now_ms):
                here.append((timer, waiting))
            else:
                self._waiting.pop(timer, None)
                _resolve(waiting.woken)
        if here and shared is not None:
            with collections_deferred() if len(here) >= DEFER_FROM else contextlib.nullcontext():
                await self._submit(shared, here)
        if shared is not None:
            await shared.refresh()

    async def _submit(self, shared: SharedIntake, here: list[tuple[Timer, Waiting]]) -> None:
        self._firing = {timer for timer, _ in here}
        self._fired = asyncio.get_running_loop().create_future()
        try:
            acked = await shared.submit([timer.tick_batch() for timer, _ in here])
        except Exception as exc:
            # Every tick not acked is still its source's next: its own read submits it.
            log.error("timer ticks not submitted together", error=repr(exc), exc_info=exc)
            acked = [False] * len(here)
        finally:
            self._firing = set()
            _resolve(self._fired)
        for (timer, waiting), ok in zip(here, acked, strict=True):
            if self._waiting.get(timer) is not waiting:
                continue  # its read was cancelled meanwhile (stopped, lease lost)
            following = timer.next_tick() if ok else None
            if following is None:  # given back, or the schedule's end: its read goes on
                self._waiting.pop(timer, None)
                _resolve(waiting.woken)
            else:
                self._push(timer, following, waiting.woken)


class _Deferrals:
    depth = 0  # instants (of several trigger sets) inside collections_deferred now
    cap: asyncio.TimerHandle | None = None  # turns the collector on again at MAX_DEFERRAL
    expired = False  # the cap has passed: instants that start meanwhile defer nothing


def _cap_passed() -> None:
    _Deferrals.cap, _Deferrals.expired = None, True
    gc.enable()


@contextlib.contextmanager
def collections_deferred() -> Iterator[None]:
    """No cyclic garbage collection from an instant's wake-up to its acks, for MAX_DEFERRAL at
    most. Its ticks' objects (a thousand events, invocations and batches) all live until the
    commit, so collections started meanwhile would each find them young and promote them, and
    end in a full collection of the daemon's heap: pauses of tens of milliseconds, inside the
    instant. The collector runs again as soon as the acks are in, or the cap has passed."""
    if _Deferrals.depth == 0 and not gc.isenabled():
        yield  # the host turned it off: not ours to turn on
        return
    if _Deferrals.depth == 0:
        _Deferrals.expired = False
        _Deferrals.cap = asyncio.get_running_loop().call_later(MAX_DEFERRAL, _cap_passed)
    _Deferrals.depth += 1
    if not _Deferrals.expired:
        gc.disable()
    try:
        yield
    finally:
        _Deferrals.depth -= 1
        if _Deferrals.depth == 0:
            if _Deferrals.cap is not None:
                _Deferrals.cap.cancel()
                _Deferrals.cap = None
            gc.enable()


def _resolve(future: asyncio.Future[None]) -> None:
    with contextlib.suppress(asyncio.InvalidStateError):
        future.set_result(None)
