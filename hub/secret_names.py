"""Which names and places in a config hold a secret: a config key (`sasl_plain_password`,
`secret_access_key`), an environment variable, header or query parameter (`DB_PASSWORD`,
`X-Api-Key`, `?key=`), or anything under a headers or env map. hub.redact hides what they
hold."""

from __future__ import annotations

import re
from typing import Any

# Maps whose values are masked whole in config views: HTTP headers and command environments.
SECRET_MAPS = frozenset({"headers", "env"})

_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "credential",
        "credentials",
        "authorization",
        "auth",
        "cookie",
        "signature",
        "sig",
        "apikey",
    }
)
# `<owner>_key` is a secret key (api_key, access_key, x-api-key); a bare `key` in a config
# field is a record key or a routing key, not a secret.
_KEY_OWNERS = frozenset(
    {"api", "access", "private", "secret", "signing", "client", "account", "master", "auth"}
)
# Outside config fields (environment variables, headers, query parameters) a bare KEY or PASS
# word means a secret: RESIZE_KEY, DB_PASS, ?key=…
_LOOSE_WORDS = frozenset({"key", "pass"})
_ANYWHERE = ("secret", "password", "token", "apikey")

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")


def _words(name: str) -> list[str]:
    return [w for w in _SPLIT.split(_CAMEL.sub(r"\1_\2", name).lower()) if w]


def secret_field(name: str) -> bool:
    """A config key whose value is a secret (`sasl_plain_password`, `secret_access_key`)."""
    words = _words(name)
    if words[-1:] == ["env"]:
        return False  # `token_env` names the variable that holds the token
    if any(w in _WORDS for w in words):
        return True
    return any(w == "key" and i > 0 and words[i - 1] in _KEY_OWNERS for i, w in enumerate(words))


def secret_name(name: str) -> bool:
    """An environment variable, header or query parameter that holds a secret. Variable names
    are often run together (GITHUBTOKEN), so the strongest words count anywhere in them."""
    lowered = name.lower()
    return (
        secret_field(name)
        or any(w in _LOOSE_WORDS for w in _words(name))
        or any(word in lowered for word in _ANYWHERE)
    )


Path = tuple[Any, ...]


def secret_path(path: Path) -> bool:
    """Whether the value at `path` in a config is, or is inside, a secret by its place: under a
    secret-looking key, or a headers or env map."""
    return any(
        isinstance(part, str) and (secret_field(part) or part in SECRET_MAPS) for part in path
    )
