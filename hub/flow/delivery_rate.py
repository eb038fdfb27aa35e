"""A destination's `rate_limit`: each delivery takes a start from the destination's bucket in
the store first; one over the rate is handed back to the outbox until the bucket opens (its
attempts untouched: waiting is not failing)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson

from hub.config.flow_lease import DestinationRateLimit
from hub.store.base import Delivery, InvocationStore

# The destination is stored as its model's JSON: a delivery without a limit is recognized
# without parsing it.
_UNLIMITED = b'"rate_limit":null'


@dataclass(slots=True, frozen=True)
class DeliveryRate:
    bucket: str
    interval: float
    burst: int


def rate_of(destination: bytes) -> DeliveryRate | None:
    if b'"rate_limit"' not in destination or _UNLIMITED in destination:
        return None
    spec = orjson.loads(destination)
    limit = DestinationRateLimit.model_validate(spec.pop("rate_limit"))
    # One bucket per destination (its settings without the limit): the same URL, file or
    # topic configured alike for several functions shares one.
    where = hashlib.sha256(orjson.dumps(spec, option=orjson.OPT_SORT_KEYS)).hexdigest()[:24]
    return DeliveryRate(f"destination:{where}", limit.interval, limit.burst)


async def wait_for_rate(store: InvocationStore, delivery: Delivery, owner: str, now: float) -> bool:
    """True when the delivery must wait (it was handed back to the outbox)."""
    rate = rate_of(delivery.destination)
    if rate is None:
        return False
    opens = await store.take_rate(rate.bucket, "", now, rate.interval, rate.burst)
    if opens is None:
        return False
    await store.postpone_delivery(delivery, owner, opens)
    return True
