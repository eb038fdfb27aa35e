"""Every extension point's registry, for loading their entry points together."""

from __future__ import annotations

from typing import Any

from hub.kinds import KindRegistry


def every_registry() -> list[KindRegistry[Any]]:
    from hub.destinations.kinds import destination_kinds
    from hub.plugins.registry import registry
    from hub.plugins.webhooks import webhook_kinds
    from hub.store.kinds import store_kinds
    from hub.targets.kinds import target_kinds

    return [registry, destination_kinds, target_kinds, store_kinds, webhook_kinds]
