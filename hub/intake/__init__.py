"""Intake: every configured trigger run under supervision, from its source to durable
invocations, with reconnects, backpressure and in-place reload."""

from hub.intake.backlog import BacklogGate
from hub.intake.runner import TriggerRunner
from hub.intake.trigger_status import TriggerState, TriggerStatus
from hub.intake.triggerset import TriggerSet

__all__ = ["BacklogGate", "TriggerRunner", "TriggerSet", "TriggerState", "TriggerStatus"]
