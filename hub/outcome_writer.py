"""What comes of an attempt, written until the store takes it: a retry when the function's
policy and the event's age allow one, else the final status with its destination records."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from hub import clock
from hub.config.functions import FunctionConfig
from hub.destinations.routing import build_record, routing_of
from hub.errors import FunctionError
from hub.hooks import Hooks
from hub.invocation import Invocation, encode_response
from hub.redact import recorded_text
from hub.retry import compute_backoff
from hub.runtime import FunctionRuntime
from hub.status import CONDITION_STATUS, Condition, Status
from hub.store.base import InvocationStore, Routing
from hub.targets.base import TargetResult

T = TypeVar("T")
FinalCallback = Callable[[Invocation, Status], None]


class OutcomeWriter:
    def __init__(
        self,
        store: InvocationStore,
        owner: str,
        runtimes: dict[str, FunctionRuntime],
        on_final: FinalCallback,
        hooks: Hooks,
    ) -> None:
        self.store = store
        self.owner = owner
        self.runtimes = runtimes
        self.on_final = on_final
        self.hooks = hooks

    def _config_of(self, name: str) -> FunctionConfig | None:
        rt = self.runtimes.get(name)
        return None if rt is None else rt.config

    async def failed(
        self,
        inv: Invocation,
        rt: FunctionRuntime,
        started: float,
        error: str,
        exc: FunctionError | None,
        retry_after: float | None = None,
    ) -> None:
        codes: dict[str, Any] = {"started": started}
        if exc is not None:
            codes |= {"status_code": exc.status_code, "exit_code": exc.exit_code}
        if inv.attempts > rt.config.max_retry_attempts:
            await self.finish(inv, rt, Condition.RETRIES_EXHAUSTED, error=error, **codes)
            return
        now = clock.now()
        delay = compute_backoff(inv.attempts, rt.config.retry_backoff)
        next_at = now + (delay if retry_after is None else retry_after)
        if next_at >= inv.deadline:
            await self.finish(
                inv,
                rt,
                Condition.EVENT_AGE_EXCEEDED,
                error=f"{error}; the next retry would pass max_event_age",
                **codes,
            )
            return
        detail = f"attempt {inv.attempts}: {recorded_text(error)}"
        if await self.record(
            inv,
            "retry",
            lambda: self.store.retry(inv, self.owner, now, next_at, detail),
        ):
            self.hooks.retrying(inv, error, next_at, now - started)

    async def finish(
        self,
        inv: Invocation,
        rt: FunctionRuntime | None,
        condition: Condition,
        *,
        result: TargetResult | None = None,
        error: str | None = None,
        status_code: int | None = None,
        exit_code: int | None = None,
        started: float | None = None,
    ) -> None:
        """Commit the final status; `started` is when the attempt that ended it began (None
        when no attempt ran)."""
        now = clock.now()
        # A failure's text quotes URLs, inputs and server replies; it becomes last_error and
        # the destination record's function_error.
        error = None if error is None else recorded_text(error)
        limit = rt.config.response_limit if rt is not None else 0
        payload = result.payload if result is not None else None
        response = encode_response(payload, limit)
        status = CONDITION_STATUS[condition]
        config = rt.config if rt is not None else None
        routing = None
        if config is not None and (config.on_success or config.on_failure):
            record = build_record(
                inv,
                condition,
                error=error,
                response=response,
                status_code=result.status_code if result is not None else status_code,
                exit_code=result.exit_code if result is not None else exit_code,
            )
            routing = routing_of(inv, config, condition, record, self._config_of, now)
        done = await self.record(
            inv,
            "finish",
            lambda: self.store.finalize(
                inv, self.owner, now, status, str(condition), error, response, routing or Routing()
            ),
        )
        if done:
            self.on_final(inv, status)
            duration = None if started is None else now - started
            self.hooks.ended_with(inv, condition, error, duration, routing)

    async def record(self, inv: Invocation, what: str, write: Callable[[], Awaitable[T]]) -> T:
        """An attempt's outcome is written until the store takes it: dropped, it would leave
        the invocation leased, to run again once the lease ran out."""
        return await self.store.health.until_written(
            what, write, invocation=inv.id, function=inv.function
        )
