"""Executor tasks: run one attempt of each leased invocation and record what came of it
(hub.outcome_writer: the retry or the final status)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from hub import clock
from hub.dispatcher import Dispatcher
from hub.errors import FunctionError, NonRetryableError, RetryAfter, StoreError
from hub.events import INVALID_ATTR
from hub.hooks import Hooks
from hub.invocation import Invocation
from hub.outcome_writer import FinalCallback, OutcomeWriter
from hub.runtime import FunctionRuntime
from hub.status import Condition
from hub.store.base import InvocationStore
from hub.time_limits import Limit, TimeLimits

log = structlog.get_logger("hub.executor")
UNKNOWN_FUNCTION_RETRY = 60.0


class Executor:
    def __init__(
        self,
        store: InvocationStore,
        dispatcher: Dispatcher,
        runtimes: dict[str, FunctionRuntime],
        lease_timeout: float,
        on_final: FinalCallback,
        hooks: Hooks | None = None,
    ) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.runtimes = runtimes
        self.owner = dispatcher.owner
        self.lease_timeout = lease_timeout
        self.hooks = hooks or Hooks()
        self.outcomes = OutcomeWriter(store, self.owner, runtimes, on_final, self.hooks)
        self.limits = TimeLimits()
        self.running: dict[str, Limit] = {}
        self.stopped: set[str] = set()
        self.idle = asyncio.Event()
        self.idle.set()
        # Whether a function is paused now (hub/control/pausing.py); the hub sets it.
        self.paused: Callable[[str], bool] = lambda _function: False

    async def worker(self) -> None:
        while True:
            async with self.dispatcher.take() as inv:
                try:
                    await self.execute(inv)
                except StoreError as exc:
                    # Left leased, it runs again once the lease runs out; a crash here would
                    # only restart this worker, once per queued invocation.
                    log.warning(
                        "store write failed; the invocation comes back when its lease runs out",
                        invocation=inv.id,
                        error=str(exc),
                    )
                    await self.store.health.backoff(1)

    def cancel(self, invocation_id: str) -> bool:
        """Abort a running attempt (its record was already set to stopped)."""
        limit = self.running.get(invocation_id)
        if limit is None or not self.limits.expire(limit):
            return False  # the attempt already ended; its outcome is being written
        self.stopped.add(invocation_id)
        return True

    async def execute(self, inv: Invocation) -> None:
        rt = self.runtimes.get(inv.function)
        if rt is None:
            # Not lost: a reload may bring the function back before the event ages out.
            if clock.now() >= inv.deadline:
                await self.outcomes.finish(
                    inv,
                    None,
                    Condition.EVENT_AGE_EXCEEDED,
                    error=f"function {inv.function!r} is not configured",
                )
            else:
                await self.outcomes.record(
                    inv,
                    "defer",
                    lambda: self.store.defer(
                        inv,
                        self.owner,
                        clock.now() + UNKNOWN_FUNCTION_RETRY,
                        f"function {inv.function!r} is not configured",
                    ),
                )
            return
        if clock.now() >= inv.deadline:
            await self.outcomes.finish(
                inv,
                rt,
                Condition.EVENT_AGE_EXCEEDED,
                error="max_event_age passed before the attempt could start",
            )
            return
        reason = inv.wire.extension(INVALID_ATTR)
        if reason is not None:
            # A trigger could not make a proper event of what it read: no attempt can help,
            # so it goes straight to on_failure with the trigger's reason.
            await self.outcomes.finish(inv, rt, Condition.NON_RETRYABLE, error=str(reason))
            return
        async with rt.slots:
            if self.paused(inv.function):
                # Paused after it was leased: back to its queue, no attempt counted.
                await self.store.hand_back(inv, self.owner)
                return
            await self._attempt(inv, rt)

    async def _attempt(self, inv: Invocation, rt: FunctionRuntime) -> None:
        now = clock.now()
        timeout = rt.config.timeout
        await self.store.start(inv, self.owner, now, now + timeout + self.lease_timeout)
        inv.attempts += 1
        inv.invoke_count += 1
        self.hooks.started(inv, now - inv.not_before)
        # Bound in the task's context, so the function's own log lines carry them too.
        structlog.contextvars.bind_contextvars(
            invocation=inv.id, function=inv.function, attempt=inv.attempts
        )
        limit = self.limits.start(timeout)
        self.running[inv.id] = limit
        self.idle.clear()
        expired = False
        try:
            try:
                result = await rt.target(inv.wire)
            finally:
                expired = self.limits.end(limit)  # before anything else is awaited
        except (asyncio.CancelledError, TimeoutError) as exc:
            if isinstance(exc, asyncio.CancelledError) and not expired:
                raise  # cancelled from outside: the hub is stopping
            if inv.id in self.stopped:
                log.info("attempt cancelled by stop")
                return
            error = f"timed out after {timeout:g}s" if expired else f"TimeoutError: {exc}"
            await self.outcomes.failed(inv, rt, now, error, None)
        except NonRetryableError as exc:
            await self.outcomes.finish(
                inv,
                rt,
                Condition.NON_RETRYABLE,
                error=str(exc),
                status_code=exc.status_code,
                exit_code=exc.exit_code,
                started=now,
            )
        except RetryAfter as exc:
            await self.outcomes.failed(inv, rt, now, str(exc), exc, retry_after=exc.seconds)
        except FunctionError as exc:
            await self.outcomes.failed(inv, rt, now, str(exc), exc)
        except Exception as exc:
            log.warning("target raised unexpectedly", error=repr(exc))
            await self.outcomes.failed(inv, rt, now, f"{type(exc).__name__}: {exc}", None)
        else:
            await self.outcomes.finish(inv, rt, Condition.SUCCESS, result=result, started=now)
        finally:
            self.hooks.attempted(inv, clock.now() - now)
            structlog.contextvars.clear_contextvars()
            self.running.pop(inv.id, None)
            self.stopped.discard(inv.id)
            if not self.running:
                self.idle.set()
