"""A config as it may be shown (values in secret places masked), and the literal secret values
in a config, which hub.redact then hides wherever they turn up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hub.redact import MASK, redact_text
from hub.secret_names import SECRET_MAPS, secret_field, secret_name


def config_view(data: Any) -> Any:
    """A config dump as it may be shown: values under secret-looking keys and every header and
    environment value are `***`; all other text passes through `redact_text`, which hides
    what came from a secret environment variable."""
    if isinstance(data, dict):
        shown: dict[Any, Any] = {}
        for key, value in data.items():
            if value is None:
                shown[key] = None
            elif isinstance(key, str) and secret_field(key):
                shown[key] = MASK
            elif key in SECRET_MAPS and isinstance(value, dict):
                shown[key] = dict.fromkeys(value, MASK)
            else:
                shown[key] = config_view(value)
        return shown
    if isinstance(data, list):
        return [config_view(v) for v in data]
    return redact_text(data) if isinstance(data, str) else data


def config_secrets(data: Any) -> Iterator[Any]:
    """The literal secret values in a config's plain data: under secret-looking keys, and in
    header or env entries whose names look secret."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and secret_field(key):
                yield from _scalars(value)
            elif key in SECRET_MAPS and isinstance(value, dict):
                for name, entry in value.items():
                    if isinstance(name, str) and secret_name(name):
                        yield from _scalars(entry)
            else:
                yield from config_secrets(value)
    elif isinstance(data, list):
        for value in data:
            yield from config_secrets(value)


def _scalars(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _scalars(v)
    elif isinstance(value, list):
        for v in value:
            yield from _scalars(v)
    elif isinstance(value, str):
        # `Bearer abc…`: the token itself is the secret, whatever the scheme in front.
        yield value
        scheme, _, credential = value.partition(" ")
        if credential and scheme.isalpha():
            yield credential
    elif value is not None and not isinstance(value, bool):
        yield value
