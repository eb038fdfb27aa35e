"""A batch's partial failure: a function given a batch (`batching:`) may return
`{"failed": [event ids]}`; then only those events are retried, like Lambda's
ReportBatchItemFailures. The batch's event is cut down to the failed events in the store, and
the attempt fails so the usual retry policy runs it again (or the record keeps exactly the
failed events when the retries are spent)."""

from __future__ import annotations

from typing import Any

import orjson

from hub.config.functions import FunctionConfig
from hub.errors import FunctionError
from hub.events import WireEvent
from hub.flow.fold_ops import BATCH_TYPE
from hub.flow.protocol import FlowIntake
from hub.targets.base import Target, TargetResult

SHOWN_IDS = 10


class PartialBatchFailure(FunctionError):
    """Some events of a batch failed; the batch's event now holds only those."""


def with_batch_failures(config: FunctionConfig, target: Target, store: FlowIntake) -> Target:
    """Every function's target: a trigger's own `batching` gives batches to a function
    without one. A result without `failed` costs one isinstance check."""
    del config
    return BatchTarget(target, store)


class BatchTarget:
    def __init__(self, target: Target, store: FlowIntake) -> None:
        self._target = target
        self._store = store

    async def __call__(self, event: WireEvent) -> TargetResult:
        result = await self._target(event)
        failed = _failed_ids(result.payload)
        if not failed:
            return result
        batch: dict[str, Any] = event.attributes()
        members = batch.get("data")
        if batch.get("type") != BATCH_TYPE or not isinstance(members, list):
            return result  # not a batch: its `failed` is the function's own business
        kept = [m for m in members if isinstance(m, dict) and str(m.get("id")) in failed]
        if not kept:
            return result  # it named no event of this batch
        batch["data"] = kept
        await self._store.narrow_batch(str(batch["id"]), orjson.dumps(batch))
        shown = ", ".join(str(m.get("id")) for m in kept[:SHOWN_IDS])
        more = f" and {len(kept) - SHOWN_IDS} more" if len(kept) > SHOWN_IDS else ""
        raise PartialBatchFailure(
            f"{len(kept)} of {len(members)} events of the batch failed: {shown}{more}",
            status_code=result.status_code,
            exit_code=result.exit_code,
        )

    async def close(self) -> None:
        await self._target.close()


def _failed_ids(payload: Any) -> set[str]:
    if not isinstance(payload, dict):
        return set()
    failed = payload.get("failed")
    if not isinstance(failed, list):
        return set()
    return {str(item) for item in failed}
