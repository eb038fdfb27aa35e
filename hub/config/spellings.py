"""Deprecated spellings of trigger options: still accepted, rewritten to today's vocabulary, and
reported (a located line from `triggerhub validate`, a warning logged when the daemon loads the
file), never a Python warning and never an error.

A kind lists its old spellings by overriding `TriggerConfig.respell`, usually with `moved`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.config.durations import parse_duration


@dataclass(frozen=True, slots=True)
class Respelled:
    """`old` (a key of the trigger, as written) now reads `new` (a dotted path), or is left out
    (`new` empty): it said what is now the default."""

    old: str
    new: str
    note: str = ""

    def message(self) -> str:
        tail = f" ({self.note})" if self.note else ""
        if not self.new:
            return f"deprecated option; leave it out{tail}"
        return f"deprecated spelling; write `{self.new}` instead{tail}"


def moved(data: dict[str, Any], old: str, new: str, note: str = "") -> list[Respelled]:
    """Moves `data[old]` to the dotted path `new` (a nested mapping is made as needed). Giving
    both spellings is an error: which one was meant cannot be told."""
    if old not in data:
        return []
    *parents, leaf = new.split(".")
    target = data
    for name in parents:
        inner = target.get(name)
        if inner is None:
            inner = {}
        elif not isinstance(inner, dict):
            return []  # `batch: 5`, say: left for validation to name
        else:
            inner = dict(inner)  # the caller's nested mapping stays as it was
        target[name] = inner
        target = inner
    if leaf in target:
        raise ValueError(f"give `{new}` only: `{old}` is its deprecated spelling")
    target[leaf] = data.pop(old)
    return [Respelled(old, new, note)]


def batch_respelled(data: dict[str, Any]) -> list[Respelled]:
    """`batch_size` / `batch_window` where they counted events per invocation (1: no batch)
    become the `batch:` mapping."""
    if data.get("batch_size") == 1:
        data.pop("batch_size")
        done = [Respelled("batch_size", "", "1 is one invocation per event, the default")]
        if "batch_window" in data:
            data.pop("batch_window")
            done.append(Respelled("batch_window", "", "it applies to batches only"))
        return done
    return moved(data, "batch_size", "batch.size") + moved(data, "batch_window", "batch.window")


# A trigger-level batch of `window: 0` sent what one read held at once; gathered in the store
# across reads, a batch needs some wait: this short one keeps the latency of a read.
SHORTEST_BATCH_WAIT = "50ms"
_BATCHING_NOTE = (
    "one mechanism gathers events into an invocation: `size` is `max_size`, `window` is "
    "`max_wait`, and a batch is the event type triggerhub.batch"
)


def trigger_batch_respelled(data: dict[str, Any], whole_read: int) -> list[Respelled]:
    """A trigger's own `batch` (`true`: a batch of one read, `whole_read` events; or
    `{size, window}`), and the older `batch_size` / `batch_window`, are flow control's
    `batching` of the trigger now."""
    done: list[Respelled] = []
    if data.get("batch_size") == 1:  # one invocation per event: the default
        done += batch_respelled(data)
    else:
        done += moved(data, "batch_size", "batching.max_size", _BATCHING_NOTE)
        done += moved(data, "batch_window", "batching.max_wait", _BATCHING_NOTE)
    if "batch" in data:
        batch = data.pop("batch")
        if batch is False:
            done.append(Respelled("batch", "", "no batching is the default"))
            return done
        if "batching" in data:
            raise ValueError("give `batching` only: `batch` is its deprecated spelling")
        if batch is True:
            batch = {"size": whole_read}
        if isinstance(batch, dict):
            names = {"size": "max_size", "window": "max_wait"}
            batch = {names.get(k, k): v for k, v in batch.items()}
        data["batching"] = batch
        done.append(Respelled("batch", "batching", _BATCHING_NOTE))
    if done and isinstance(data.get("batching"), dict):
        _wait_at_least_a_read(data["batching"])
    return done


def _wait_at_least_a_read(batching: dict[str, Any]) -> None:
    try:
        wait = parse_duration(batching.get("max_wait", 0))
    except ValueError:
        return  # validation names it
    if isinstance(wait, float) and wait <= 0:
        batching["max_wait"] = SHORTEST_BATCH_WAIT
