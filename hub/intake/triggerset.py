"""All triggers of a configuration: built from the registry, started, reloaded in place and
stopped in order. A trigger that cannot be built (missing extra, broken plugin) is reported as
`failed` and never stops the others."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import structlog

from hub.config.functions import Backoff
from hub.config.triggers import TriggerConfig
from hub.intake.backlog import BacklogGate
from hub.intake.port import HubPort
from hub.intake.runner import RECONNECT, TriggerRunner
from hub.intake.together import SharedIntake
from hub.intake.trigger_status import TriggerState, TriggerStatus
from hub.plugins.contract import Source, SourceContext
from hub.plugins.registry import Registry, default_registry
from hub.supervisor import Supervisor
from hub.timefmt import to_rfc3339

log = structlog.get_logger("hub.intake")


class TriggerSet:
    def __init__(
        self,
        hub: HubPort,
        registry: Registry | None = None,
        *,
        reconnect: Backoff = RECONNECT,
        backlog_refresh: float = 0.2,
        stop_timeout: float = 10.0,
    ) -> None:
        self.hub = hub
        self.gate = BacklogGate(
            hub.backlog,
            hub.max_backlog,
            health=hub.store_health,
            refresh=backlog_refresh,
        )
        self._registry = registry or default_registry()
        self._reconnect = reconnect
        self.stop_timeout = stop_timeout
        self._loops = hub.supervisor.group("intake")
        self._shared = SharedIntake(hub, self.gate, self._loops)
        self._configs: dict[str, TriggerConfig] = {}
        self._runners: dict[str, TriggerRunner] = {}
        self._idle: dict[str, TriggerStatus] = {}  # disabled, paused, or could not be built
        # Paused by an operator (hub/control/pausing.py): name to when. Not started while in it.
        self._paused: dict[str, float] = {}
        self._changing = asyncio.Lock()  # a reload and a pause change one at a time

    async def start(self, configs: Mapping[str, TriggerConfig]) -> None:
        await self.apply(configs)

    async def apply(self, configs: Mapping[str, TriggerConfig]) -> None:
        """Reload: stop removed and changed triggers (in order), then start added and changed
        ones; unchanged triggers keep running and keep their counters. Triggers that are not
        running (ended, or failed) start again even when unchanged: a reload is how an operator
        says "try again" after fixing what stopped them. Paused ones stay paused."""
        async with self._changing:
            await self._apply(configs)

    async def _apply(self, configs: Mapping[str, TriggerConfig]) -> None:
        old = self._configs
        dead = self._not_running()
        stale = [name for name in old if configs.get(name) != old[name] or name in dead]
        fresh = [name for name in configs if old.get(name) != configs[name] or name in dead]
        await self._stop(stale)
        for name in fresh:
            self._start_one(name, configs[name])
        self._configs = dict(configs)
        if stale or fresh:
            log.info("triggers applied", stopped=stale, started=fresh, total=len(configs))

    async def stop(self) -> None:
        """Stop intake everywhere first, then wait for each trigger and close its source."""
        async with self._changing:
            await self._stop(list(self._runners))
            self._configs = {}

    async def set_paused(self, paused: Mapping[str, float]) -> None:
        """Stop the triggers newly paused (a batch being submitted finishes and is acked, so
        the source's position is kept) and start the ones resumed, from that position."""
        async with self._changing:
            before, self._paused = self._paused, dict(paused)
            pausing = [name for name in self._configs if name in paused and name not in before]
            resuming = [name for name in self._configs if name in before and name not in paused]
            await self._stop(pausing + resuming)  # a resumed one leaves its paused status
            for name in pausing + resuming:
                self._start_one(name, self._configs[name])
            if pausing or resuming:
                log.info("triggers paused or resumed", paused=pausing, resumed=resuming)

    def _not_running(self) -> set[str]:
        over = (TriggerState.ENDED, TriggerState.FAILED)
        dead = {name for name, runner in self._runners.items() if runner.status.state in over}
        dead.update(name for name, status in self._idle.items() if status.state in over)
        return dead

    def status(self) -> dict[str, dict[str, Any]]:
        out = {name: runner.snapshot().to_dict() for name, runner in self._runners.items()}
        out.update((name, status.to_dict()) for name, status in self._idle.items())
        return dict(sorted(out.items()))

    async def _stop(self, names: list[str]) -> None:
        # Each stays in the status until it has stopped: a trigger being paused or reloaded
        # never vanishes from GET /v1/triggers meanwhile.
        runners = [(name, self._runners[name]) for name in names if name in self._runners]
        for name in names:
            self._idle.pop(name, None)
        for _, runner in runners:
            runner.request_stop()
        for name, runner in runners:
            await runner.wait_stopped(self.stop_timeout)
            # What the source started and its close() left running.
            await self._source_loops(runner.name).cancel()
            del self._runners[name]
            log.info("trigger stopped", trigger=runner.name)

    def _source_loops(self, name: str) -> Supervisor:
        """The group a trigger's source starts its own background tasks in."""
        return self._loops.group(f"trigger:{name}")

    def _start_one(self, name: str, config: TriggerConfig) -> None:
        if not config.enabled:
            self._idle[name] = _idle_status(config, TriggerState.DISABLED)
            return
        if name in self._paused:
            self._idle[name] = _idle_status(config, TriggerState.PAUSED)
            self._idle[name].detail = {"paused_at": to_rfc3339(self._paused[name])}
            return
        try:
            source = self._build(name, config)
        except Exception as exc:
            log.error("trigger cannot start", trigger=name, type=config.type, error=str(exc))
            self._idle[name] = _idle_status(config, TriggerState.FAILED, str(exc))
            return
        runner = TriggerRunner(
            name,
            config,
            source,
            self.hub,
            loops=self._loops,
            gate=self.gate,
            reconnect=self._reconnect,
            shared=self._shared,
        )
        self._runners[name] = runner
        runner.start()

    def _build(self, name: str, config: TriggerConfig) -> Source:
        factory = self._registry.get(config.type).load_factory()
        context = SourceContext(
            trigger=name,
            get_checkpoint=self.hub.positions.get_checkpoint,
            log=structlog.get_logger("triggers").bind(trigger=name, type=config.type),
            loops=self._source_loops(name),
        )
        source = factory(config, context)
        if not isinstance(source, Source):
            raise TypeError(f"the {config.type!r} factory returned {source!r}, not a Source")
        return source


def _idle_status(
    config: TriggerConfig, state: TriggerState, error: str | None = None
) -> TriggerStatus:
    return TriggerStatus(
        type=config.type, functions=list(config.function), state=state, last_error=error
    )
