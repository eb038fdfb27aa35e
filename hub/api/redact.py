"""Function settings as the API shows them: secrets (header and environment values, URL
passwords) replaced by "***"."""

from __future__ import annotations

from typing import Any

from yarl import URL

from hub.config.functions import FunctionConfig

MASK = "***"
_SECRET_MAPS = frozenset({"headers", "env"})


def public_settings(name: str, config: FunctionConfig) -> dict[str, Any]:
    settings = _redact(config.model_dump(mode="json"))
    assert isinstance(settings, dict)
    return {"name": name, **settings}


def _redact(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        if key in _SECRET_MAPS:
            return dict.fromkeys(value, MASK)
        return {k: _redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    if key == "url" and isinstance(value, str):
        return _mask_password(value)
    return value


def _mask_password(url: str) -> str:
    try:
        parsed = URL(url)
    except ValueError:
        return url
    return str(parsed.with_password(MASK)) if parsed.password else url
