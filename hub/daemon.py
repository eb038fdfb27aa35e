"""`triggerhub run`: the daemon. Loads the triggers file, runs the hub, its triggers and the
HTTP API; drains on SIGTERM/SIGINT; reloads on SIGHUP or when the file changes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import sys
from pathlib import Path

import structlog

from hub.api.app import create_app
from hub.api.clouds import load_access_keys
from hub.api.server import ApiServer
from hub.config.document import TriggersFile
from hub.config.loader import load_config
from hub.config.triggers import TriggerConfig
from hub.engine import Hub
from hub.errors import ConfigError, StoreError
from hub.intake import TriggerSet
from hub.logs import configure_logging
from hub.outcomes import OutcomeLog
from hub.plugins.registry import default_registry
from hub.redact import redact_text

log = structlog.get_logger("hub.daemon")
WATCH_EVERY = 1.0


class Daemon:
    def __init__(self, config_path: Path) -> None:
        self.path = config_path.resolve()
        self.config: TriggersFile = load_config(self.path, import_handlers=True)
        self.ready = False
        self._stop = asyncio.Event()
        self._reload_lock = asyncio.Lock()
        self._hangup = asyncio.Event()  # SIGHUP: reload now
        self.outcomes = OutcomeLog(self.config.hub.log.outcomes)
        self._drain_ends: float | None = None  # loop time the shutdown drain ends by

    async def run(self) -> None:
        configure_logging(self.config.hub.log)
        _log_notices(self.config)
        # Python handlers are imported with the config file's folder on the import path, so
        # `functions.hello:handle` finds config/functions/hello.py.
        sys.path.insert(0, str(self.path.parent))
        api = self.config.hub.api
        token = os.environ.get(api.token_env) or None
        server: ApiServer | None = None
        try:
            async with Hub(self.config.hub, self.config.functions) as hub:
                self.outcomes.attach(hub.hooks)
                triggers = TriggerSet(hub)
                hub.pauses.on_triggers_changed(triggers.set_paused)
                default_registry()  # every kind (webhook kinds too) is registered before the API
                app = create_app(
                    hub,
                    token=token,
                    max_body_bytes=api.max_body_bytes,
                    body_timeout=api.body_timeout,
                    triggers_status=triggers.status,
                    ready=lambda: self.ready,
                    trigger_config=self._trigger_config,
                    draining=self._drain_left,
                    access_keys=load_access_keys((k.id, k.secret_env) for k in api.access_keys),
                )
                server = ApiServer(
                    app,
                    header_timeout=api.header_timeout,
                    max_connections=api.max_connections,
                    token_env=api.token_env,
                )
                host, port = split_listen(api.listen)
                await server.start(host, port)
                await self._serve(hub, triggers, server)
        finally:
            # Only now, after the hub drained: probes and reads are answered during the drain.
            if server is not None:
                await server.stop()

    async def _serve(self, hub: Hub, triggers: TriggerSet, server: ApiServer) -> None:
        try:
            await triggers.set_paused(hub.pauses.triggers)  # paused before, paused now
            await triggers.start(self.config.triggers)
            self._install_signals()
            loops = hub.supervisor.group("daemon")
            loops.spawn("config-watch", lambda: self._watch(hub, triggers))
            # What was built to start lives as long as the daemon: out of the collector's
            # sight, a full collection no longer walks it (pauses of tens of ms, 1,000 timers).
            # Collected first, so garbage left from starting is freed, not frozen for good.
            gc.collect()
            gc.freeze()
            self.ready = True
            log.info(
                "daemon ready",
                config=str(self.path),
                api=server.url,
                functions=len(self.config.functions),
                triggers=len(self.config.triggers),
            )
            await self._stop.wait()
        finally:
            self.ready = False
            loop = asyncio.get_running_loop()
            drain = self.config.hub.drain_timeout
            # Intake stops first (each trigger within its stop timeout), then the hub drains.
            self._drain_ends = loop.time() + triggers.stop_timeout + drain
            log.info("draining", deadline=drain)
            await hub.supervisor.group("daemon").cancel()
            await triggers.stop()  # intake stops first; the hub then drains on exit

    def _drain_left(self) -> float | None:
        if self._drain_ends is None:
            return None
        return max(0.0, self._drain_ends - asyncio.get_running_loop().time())

    def _trigger_config(self, name: str) -> TriggerConfig | None:
        return self.config.triggers.get(name)  # the current config: reloads change it

    def stop(self) -> None:
        self._stop.set()

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stop)
        loop.add_signal_handler(signal.SIGINT, self.stop)
        loop.add_signal_handler(signal.SIGHUP, self._hangup.set)

    async def reload(self, hub: Hub, triggers: TriggerSet, why: str) -> bool:
        """Apply a changed file; an invalid one is refused and the running config stays. Never
        raises: it runs from a signal handler and from the file watcher, which must outlive
        every bad edit."""
        async with self._reload_lock:
            if self._drain_ends is not None:  # it would start the triggers being stopped
                log.warning("reload ignored: the daemon is shutting down", reason=why)
                return False
            try:
                return await self._apply(hub, triggers, why)
            except ConfigError as exc:
                log.error(
                    "reload refused: the new config is invalid; keeping the running one",
                    reason=why,
                    errors=str(exc),
                )
            except Exception:
                # Not a problem of the file but a defect: keep its traceback, keep running.
                log.exception("reload failed", reason=why)
            return False

    async def _apply(self, hub: Hub, triggers: TriggerSet, why: str) -> bool:
        new = load_config(self.path, import_handlers=True)
        _log_notices(new)
        # Functions first as a union, so triggers started by the reload find theirs (building
        # them is all or nothing: a failure changes nothing), and only then the new set, so
        # invocations of removed functions wait, not fail.
        hub.set_functions({**hub.functions, **new.functions})
        for section in ("store", "executors", "queue_size", "api", "telemetry"):
            if getattr(new.hub, section) != getattr(self.config.hub, section):
                log.warning("hub setting changed; it applies after a restart", setting=section)
        await triggers.apply(new.triggers)
        hub.set_functions(new.functions)
        self.config = new
        self.outcomes.settings = new.hub.log.outcomes
        log.info(
            "config reloaded", reason=why, functions=len(new.functions), triggers=len(new.triggers)
        )
        return True

    async def _watch(self, hub: Hub, triggers: TriggerSet) -> None:
        """Reload on SIGHUP, or when the file's content changes (editors replace files, so
        stat by path)."""
        seen = _fingerprint(self.path)
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(WATCH_EVERY):
                    await self._hangup.wait()
            now = _fingerprint(self.path)
            if self._hangup.is_set():
                self._hangup.clear()
                seen = now if now is not None else seen
                await self.reload(hub, triggers, "SIGHUP")
            elif now != seen and now is not None:
                seen = now
                await self.reload(hub, triggers, "file changed")


def _log_notices(config: TriggersFile) -> None:
    """What the file still writes in an old spelling: it works, and says how it reads today."""
    for notice in config.notices:
        log.warning("triggers file: deprecated option", notice=notice)


def _fingerprint(path: Path) -> tuple[int, int, int] | None:
    with contextlib.suppress(OSError):
        st = os.stat(path)
        return (st.st_mtime_ns, st.st_size, st.st_ino)
    return None


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def run(config_path: Path) -> int:
    try:
        daemon = Daemon(config_path)
    except ConfigError as exc:
        print(f"triggerhub: invalid config:\n{exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(daemon.run())
    except ConfigError as exc:
        print(f"triggerhub: {redact_text(str(exc))}", file=sys.stderr)
        return 2
    except (StoreError, OSError) as exc:
        # The message names the file and what to do; a traceback would bury it.
        print(f"triggerhub: {redact_text(str(exc))}", file=sys.stderr)
        return 1
    return 0
