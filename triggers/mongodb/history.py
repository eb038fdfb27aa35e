"""The position a change stream resumes from, as committed in the store, and what happens when
the server no longer has it in its history (`on_history_lost`)."""

from __future__ import annotations

from pymongo.errors import OperationFailure
from structlog.typing import FilteringBoundLogger

from hub import clock
from hub.plugins.contract import SourceContext, SourceFailed
from hub.timefmt import to_rfc3339
from triggers.mongodb.config import MongoTriggerConfig
from triggers.mongodb.position import Position, checkpoint_name, decode


class History:
    def __init__(
        self, config: MongoTriggerConfig, context: SourceContext, log: FilteringBoundLogger
    ) -> None:
        self._config = config
        self._context = context
        self._log = log
        self.position: Position | None = None  # the committed one
        self.gaps = 0  # times history was skipped (on_history_lost: start_now)
        self.failed = False  # lost with on_history_lost: fail; the trigger stopped

    async def load(self) -> Position | None:
        """The store is the truth, every time: after a lost lease another daemon may have
        moved the position on, and only acked positions were ever kept here anyway."""
        self.position = await self._stored()
        return self.position

    async def _stored(self) -> Position | None:
        stored = await self._context.get_checkpoint(checkpoint_name(self._context.trigger))
        if stored is None:
            return None
        try:
            position = decode(stored)
        except ValueError as exc:
            await self._lost(f"the stored resume position is unreadable ({exc})", None)
            return None
        if position.namespace != self._config.namespace:
            self._log.warning(
                "the watched namespace changed; the stored resume token does not apply",
                stored=position.namespace,
                start=self._config.start,
            )
            return None
        return position

    async def lost_on_open(self, exc: OperationFailure) -> None:
        """The stream could not open at the position (or `start`): fail, or go on from now."""
        details = exc.details or {}
        what = (
            "the stored resume token is"
            if self.position is not None
            else f"start {self._config.start} is"
        )
        reason = (
            f"{what} no longer in the server's history "
            f"(code {exc.code} {details.get('codeName', '')}: {details.get('errmsg', exc)})"
        )
        await self._lost(reason, self.position)

    async def _lost(self, reason: str, position: Position | None) -> None:
        since = position.time if position is not None else None
        where = f"change stream on {self._config.namespace}: {reason}"
        if since is not None:
            where += f"; the last committed change is from {since}"
        if self._config.on_history_lost == "fail":
            self.failed = True
            raise SourceFailed(
                f"{where}. Changes since then cannot be invoked exactly, so the trigger stops. "
                "To accept the gap and go on from now, set `on_history_lost: start_now` and "
                "reload; a larger oplog (or a trigger that is not stopped as long) prevents it."
            )
        self.gaps += 1
        self.position = None
        self._log.error(
            "change stream history lost; starting from now (on_history_lost: start_now): "
            "changes in the gap are not invoked",
            reason=reason,
            gap_from=since,
            gap_to=to_rfc3339(clock.now()),
            gaps=self.gaps,
        )
