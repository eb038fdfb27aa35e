"""`cancel_on` entries naming a trigger that is not configured, checked on the plain data like
the function names triggers refer to (hub/config/references.py)."""

from __future__ import annotations

from typing import Any

Path = tuple[Any, ...]


def dangling_cancel_triggers(data: dict[Any, Any]) -> list[tuple[Path, str]]:
    functions = data.get("functions")
    triggers = data.get("triggers")
    known = (
        {name for name in triggers if isinstance(name, str)}
        if isinstance(triggers, dict)
        else set()
    )
    listed = ", ".join(sorted(known)) or "none are configured"
    found: list[tuple[Path, str]] = []
    for name, config in functions.items() if isinstance(functions, dict) else ():
        entries = config.get("cancel_on") if isinstance(config, dict) else None
        if not isinstance(entries, list):
            continue  # absent, or malformed: the schema reports it
        for i, entry in enumerate(entries):
            trigger = entry.get("trigger") if isinstance(entry, dict) else None
            if isinstance(trigger, str) and trigger not in known:
                found.append(
                    (
                        ("functions", name, "cancel_on", i, "trigger"),
                        f"cancel_on names trigger '{trigger}', which is not configured; "
                        f"configured triggers: {listed}",
                    )
                )
    return found
