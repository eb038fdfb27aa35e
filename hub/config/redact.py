"""The configuration as it may be shown (logs, `triggerhub config`, the HTTP API): secrets
replaced by `***`, by key name and by where the value came from."""

from __future__ import annotations

import re
from typing import Any

from hub.config.document import TriggersFile

SECRET_KEY = re.compile(
    r"(password|secret|token|sasl_plain_password|key(?!s)|credentials|authorization)",
    re.IGNORECASE,
)
MASK = "***"
# The password part of `scheme://user:password@host` in any string.
URL_PASSWORD = re.compile(r"(?<=://)([^/:@\s]*):[^/@\s]*@")
Path = tuple[Any, ...]


def redacted(doc: TriggersFile) -> dict[str, Any]:
    """A JSON-compatible dump with secret values masked. A value is secret when its key looks
    secret (password, token, api_key, Authorization, …) or when it came from an environment
    variable whose name contains SECRET, PASSWORD, TOKEN or KEY."""
    dumped = doc.model_dump(mode="json", by_alias=True)
    masked: dict[str, Any] = _mask(dumped, (), doc._secret_paths)
    return masked


def _mask(node: Any, path: Path, secret_paths: frozenset[Path]) -> Any:
    if path in secret_paths and node is not None:
        return MASK
    if isinstance(node, dict):
        return {
            key: MASK
            if value is not None and isinstance(key, str) and SECRET_KEY.search(key)
            else _mask(value, (*path, key), secret_paths)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_mask(value, (*path, i), secret_paths) for i, value in enumerate(node)]
    if isinstance(node, str):
        return mask_url_password(node)
    return node


def mask_url_password(text: str) -> str:
    return URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
