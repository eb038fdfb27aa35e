"""The timer trigger: invokes functions on a cron, rate or one-time schedule, exactly once per
tick across restarts, reloads and daemons sharing a store. Importing this package registers the
kind; APScheduler is imported only when a schedule is checked or a source is built."""

from hub.plugins import TriggerKind, register
from triggers.timer.config import TimerConfig

TIMER = TriggerKind(
    name="timer",
    config_model=TimerConfig,
    factory_path="triggers.timer.source:build",
    doc="Scheduled ticks: cron (with seconds and time zones), rate(...)/@every, at(...).",
)
register(TIMER)
