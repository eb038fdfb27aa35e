"""The loader's side of deprecated spellings (hub/config/spellings.py): each trigger's old
spellings are rewritten in the plain data before validation, and the rewritten options keep the
file position of what was written, so a problem with one still points at its line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.config.located import Located, Path, Pos
from hub.config.problems import dotted
from hub.config.triggers import TriggerConfig

Notes = list[tuple[Pos, str]]


def respell_triggers(
    located: Located, models: Mapping[str, type[TriggerConfig]]
) -> tuple[Notes, Notes]:
    """(deprecation notices, problems), each at the position of the key it is about."""
    notices: Notes = []
    problems: Notes = []
    triggers = located.data.get("triggers")
    if not isinstance(triggers, dict):
        return notices, problems
    for name, written in triggers.items():
        model = models.get(str(written.get("type"))) if isinstance(written, dict) else None
        if model is None:
            continue
        data = dict(written)
        base: Path = ("triggers", name)
        try:
            done = model.respell(data)
        except ValueError as exc:
            problems.append((located.key_pos(base), f"{dotted(base)}: {exc}"))
            continue
        triggers[name] = data
        for respelled in done:
            old = (*base, respelled.old)
            if respelled.new:
                _same_place(located, old, (*base, *respelled.new.split(".")))
            notices.append((located.key_pos(old), f"{dotted(old)}: {respelled.message()}"))
    return notices, problems


def _same_place(located: Located, old: Path, new: Path) -> None:
    for table in (located.keys, located.values):
        pos: Any = table.get(old)
        if pos is None:
            continue
        for depth in range(len(old) - 1, len(new) + 1):
            table.setdefault(new[:depth], pos)
