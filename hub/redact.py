"""What may leave the daemon. Every exit — API responses, invocation records, destination
records (the dead-letter file), configuration errors, log lines — passes through here, so a
secret is hidden the same way wherever it would have shown.

A secret is:
- the password of a URL (`scheme://user:password@host`), and the value of a URL query
  parameter whose name looks secret (`?api_key=…`, `&X-Amz-Signature=…`, `?key=…`);
- an Authorization value (`Bearer …`, `Basic …`);
- the value of a config key whose name looks secret (`sasl_plain_password`, `secret_access_key`,
  `session_token`, …), of a header or command environment entry whose name looks secret
  (`Authorization`, `X-Api-Key`, `DB_PASSWORD`), and of the API token;
- a value that `${VAR}` took from an environment variable whose name looks secret.

URL passwords, secret query parameters and Authorization values are recognised by their shape
in any text. The other secrets are remembered as literal values when the config is loaded
(`remember`) and then hidden wherever they turn up, also inside other text: an error message
that quotes a `${SECRET_TOKEN}`-filled URL, schedule or port shows `***` in its place. Values
shorter than `MIN_LITERAL` characters are too common to search for in free text (they are still
masked by their place in the config), and ones shorter than `INSIDE_WORDS_FROM` are searched
for only where they stand alone.

Which names look secret is hub.secret_names; a config as it may be shown, and the secret values
to remember from it, is hub.config_view."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote

import orjson

from hub.secret_names import secret_name

MASK = "***"
MIN_LITERAL = 4
INSIDE_WORDS_FROM = 8

_URL_PASSWORD = re.compile(
    r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s/?#@:'\"<>\\]*):[^\s/?#'\"<>\\]*@"
)
_QUERY_PARAM = re.compile(r"(?<=[?&;])(?P<name>[^\s=&#?;'\"<>\\]+)=(?P<value>[^\s&#;'\"<>\\]*)")
# An Authorization value: a bearer token, or basic credentials (base64 of user:password),
# which unlike a word of prose ("Basic authentication") mixes cases, digits or symbols.
_AUTHORIZATION = re.compile(
    r"\b(?P<scheme>Bearer)\s+[A-Za-z0-9._~+/\-]+=*"
    r"|\b(?P<basic>Basic)\s+(?=[A-Za-z0-9+/][a-z]*[A-Z0-9+/=])[A-Za-z0-9+/]{8,}={0,2}"
)


class _Known:
    """The literal secret values this process has learned (configs loaded, the API token).
    Python functions run in threads and log from there, so reads and updates are locked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        forms = {value, unquote(value), quote(value, safe=""), repr(value)[1:-1]}
        forms.add(orjson.dumps(value).decode()[1:-1])
        with self._lock:
            new = {f for f in forms if len(f) >= MIN_LITERAL} - self._values
            if new:
                self._values |= new
                self._pattern = None

    def clear(self) -> None:
        with self._lock:
            self._values = frozenset()
            self._pattern = None

    def sub(self, text: str) -> str:
        with self._lock:
            if self._pattern is None and self._values:
                # Longest first, so a secret that contains another is hidden whole.
                ordered = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(map(_literal, ordered)))
            pattern = self._pattern
        return text if pattern is None else pattern.sub(MASK, text)


def _literal(value: str) -> str:
    # A short value is hidden where it stands alone, not inside a longer word: a password
    # `guest` or a token `unset` must not eat into `guestbook` or `test_unset_variable`.
    escaped = re.escape(value)
    return escaped if len(value) >= INSIDE_WORDS_FROM else rf"(?<!\w){escaped}(?!\w)"


_known = _Known()


def forget_all() -> None:
    """Forget every learned value: for an embedding process (a test suite) that loads unrelated
    configs one after another; a daemon keeps what it learned for its whole life."""
    _known.clear()


def remember(values: Iterable[Any]) -> None:
    """Hide these values from now on, wherever they appear."""
    for value in values:
        if value is not None and not isinstance(value, bool | dict | list):
            _known.add(str(value))


def redact_text(text: str) -> str:
    """`text` with every known secret value, URL password, secret query value and
    Authorization credential replaced by `***`."""
    return redact_credentials(_known.sub(text))


def recorded_text(text: str) -> str:
    """`text` as it may go into an invocation record: redacted, and without NUL characters,
    which PostgreSQL's text and jsonb refuse (a reply body holding one would otherwise make the
    outcome's write fail every time)."""
    return redact_text(text).replace("\x00", "\ufffd")


def redact_credentials(text: str) -> str:
    """`text` with URL passwords, secret query values and Authorization credentials replaced
    by `***`: the secrets recognisable by their shape alone."""
    if "://" in text:
        text = _URL_PASSWORD.sub(rf"\g<head>:{MASK}@", text)
    if "=" in text:
        text = _QUERY_PARAM.sub(_mask_query_value, text)
    if "Bearer" in text or "Basic" in text:
        text = _AUTHORIZATION.sub(_mask_authorization, text)
    return text


def _mask_authorization(match: re.Match[str]) -> str:
    return f"{match.group('scheme') or match.group('basic')} {MASK}"


def _mask_query_value(match: re.Match[str]) -> str:
    name, value = match.group("name"), match.group("value")
    if value and value != MASK and secret_name(unquote(name)):
        return f"{name}={MASK}"
    return match.group(0)


def redact_json(value: Any) -> Any:
    """A JSON-compatible value with `redact_text` applied to every string (keys included)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {redact_json(k): redact_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(v) for v in value]
    return value
