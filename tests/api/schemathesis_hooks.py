"""Hooks of the schemathesis run in test_schema.py (its SCHEMATHESIS_HOOKS names this module):
they adjust generated requests before they are sent, in the schemathesis process."""

from __future__ import annotations

import itertools
import time
from typing import Any

import schemathesis

from hub.api.ingest import BATCH, IDEMPOTENCY_HEADER
from hub.api.schedule import DELAY_HEADER, NOT_BEFORE_HEADER
from hub.submission import MAX_DELAY
from hub.timefmt import parse_rfc3339, to_rfc3339

# The functions of the daemon's configuration in test_schema.py.
FUNCTIONS = ("echo", "refuse-once", "script", "webhook")
_INVOKED = itertools.cycle(["echo", "refuse-once", "script"])


@schemathesis.hook
def before_call(
    context: schemathesis.HookContext, case: schemathesis.Case[Any], **kwargs: Any
) -> None:
    aim_at_functions(case)
    keep_the_rules_json_schema_cannot_state(case)


def aim_at_functions(case: schemathesis.Case[Any]) -> None:
    """Aim most invocations at configured functions: the coverage phase names a function "0",
    and a 404 would hide everything its bodies and headers exercise."""
    name = (case.path_parameters or {}).get("name")
    if name is not None and name not in FUNCTIONS and len(str(name)) % 5:
        case.path_parameters = {**(case.path_parameters or {}), "name": next(_INVOKED)}


def keep_the_rules_json_schema_cannot_state(case: schemathesis.Case[Any]) -> None:
    """Three rules of the invoke operation are in its descriptions only, since a JSON Schema
    cannot state them: not both deferral headers, a not-before time at most 7 days ahead, and
    no Idempotency-Key header with a batch. A request generated as valid is made to keep them
    (test_invoke and test_batch test their 400s); one generated as invalid is left as it is."""
    if case.meta is None or not case.meta.generation.mode.is_positive or not case.headers:
        return
    headers = {name.lower(): name for name in case.headers}
    key = headers.get(IDEMPOTENCY_HEADER.lower())
    if key is not None and case.media_type == BATCH:
        del case.headers[key]
    delay, not_before = headers.get(DELAY_HEADER.lower()), headers.get(NOT_BEFORE_HEADER.lower())
    if delay is not None and not_before is not None:
        del case.headers[not_before]
    elif not_before is not None:
        try:
            ahead = parse_rfc3339(case.headers[not_before]) - time.time()
        except (ValueError, OverflowError):
            return  # not the server's idea of RFC 3339: let the checks report it
        if ahead > MAX_DELAY - 60:
            case.headers[not_before] = to_rfc3339(time.time() + 60) or ""
