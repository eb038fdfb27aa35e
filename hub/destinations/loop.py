"""The outbox loop: delivers destination records at least once, with capped retries, and
records a destination that could not be reached on the invocation."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson
import structlog

from hub import clock
from hub.alarm import Alarm
from hub.config.functions import Backoff
from hub.destinations.deliver import deliver
from hub.hooks import Hooks
from hub.retry import compute_backoff
from hub.store.base import Delivery, InvocationStore

log = structlog.get_logger("hub.destinations")
BATCH = 64
LEASE = 120.0
BACKOFF = Backoff(initial=1.0, multiplier=2.0, max=600.0, jitter=True)


class DeliveryLoop:
    def __init__(
        self,
        store: InvocationStore,
        session: aiohttp.ClientSession,
        owner: str,
        max_attempts: int,
        hooks: Hooks | None = None,
    ) -> None:
        self.store = store
        self.hooks = hooks or Hooks()
        self.owner = owner
        self.session = session
        self.max_attempts = max_attempts
        self.alarm = Alarm()

    async def run(self) -> None:
        while True:
            self.alarm.arm()
            now = clock.now()
            batch = await self.store.lease_deliveries(self.owner, now, BATCH, now + LEASE)
            await asyncio.gather(*(self._deliver(d) for d in batch))
            if len(batch) < BATCH:
                await self.alarm.sleep_until(await self.store.next_delivery())

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            detail = await deliver(delivery.destination, delivery.record, self.session)
        except Exception as exc:
            attempts = delivery.attempts + 1
            now = clock.now()
            error = f"{type(exc).__name__}: {exc}"
            next_at = (
                None if attempts >= self.max_attempts else now + compute_backoff(attempts, BACKOFF)
            )
            log.warning(
                "destination delivery failed",
                invocation=delivery.invocation_id,
                slot=delivery.slot,
                attempt=attempts,
                error=error,
                gave_up=next_at is None,
            )
            await self.store.delivery_failed(delivery, now, error, next_at)
            self.hooks.delivery_failed(
                delivery.record, delivery.slot, _destination_type(delivery), next_at is None
            )
            return
        await self.store.delivered(delivery, clock.now(), f"{delivery.slot} → {detail}")


def _destination_type(delivery: Delivery) -> str:
    try:
        kind = orjson.loads(delivery.destination).get("type")
    except (orjson.JSONDecodeError, AttributeError):
        return ""
    return kind if isinstance(kind, str) else ""
