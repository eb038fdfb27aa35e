"""Access keys the clouds' SDKs sign with: an id and a secret the hub holds to check them."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hub.errors import ConfigError
from hub.redact import remember


@dataclass(slots=True, frozen=True)
class AccessKey:
    id: str
    secret: str

    def __repr__(self) -> str:  # never shows the secret, wherever the key is logged
        return f"AccessKey(id={self.id!r})"


class AccessKeys:
    """The configured key pairs, by id. Empty: no signed request can be verified."""

    def __init__(self, keys: Iterable[AccessKey] = ()) -> None:
        self._by_id = {key.id: key for key in keys}
        remember([key.secret for key in self._by_id.values()])

    def __bool__(self) -> bool:
        return bool(self._by_id)

    def get(self, key_id: str) -> AccessKey | None:
        return self._by_id.get(key_id)


def load_access_keys(
    entries: Iterable[tuple[str, str]], environ: Mapping[str, str] | None = None
) -> AccessKeys:
    """`entries`: (key id, name of the environment variable holding its secret)."""
    env = os.environ if environ is None else environ
    keys = []
    for key_id, variable in entries:
        secret = env.get(variable)
        if not secret:
            raise ConfigError(
                f"hub.api.access_keys: the secret of access key {key_id!r} is read from the "
                f"environment variable {variable}, which is not set or empty"
            )
        keys.append(AccessKey(key_id, secret))
    return AccessKeys(keys)
