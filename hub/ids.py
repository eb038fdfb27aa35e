"""Sortable invocation ids: 48 bits of milliseconds then 80 random bits, as 26 Crockford chars.

Lexicographic order of the text is creation order (to the millisecond), which is what
cursor paging over `id` relies on. The time prefix is computed once per millisecond and the
random part ten bits at a time from a table: ids are made on the hot path of every submit.
"""

import os
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]
_prefix_ms = -1
_prefix = ""
_last = 0
_MASK = (1 << 80) - 1


def _time_prefix(ms: int) -> str:
    chars = []
    for _ in range(10):
        chars.append(_CROCKFORD[ms & 31])
        ms >>= 5
    return "".join(reversed(chars))


def new_id(now: float | None = None) -> str:
    global _prefix_ms, _prefix, _last  # noqa: PLW0603 - the generator state, on the hot path
    ms = int((time.time() if now is None else now) * 1000)
    if ms > _prefix_ms:
        _prefix_ms, _prefix = ms, _time_prefix(ms)
        r = int.from_bytes(os.urandom(10), "big") >> 1  # headroom for the increments below
    else:
        # Same millisecond (or the clock stepped back): the next id of this process still
        # sorts after the last one, so ids give submission order (ordering keys rely on it).
        r = (_last + 1) & _MASK
    _last = r
    p = _PAIRS
    return (
        _prefix
        + p[r >> 70]
        + p[(r >> 60) & 1023]
        + p[(r >> 50) & 1023]
        + p[(r >> 40) & 1023]
        + p[(r >> 30) & 1023]
        + p[(r >> 20) & 1023]
        + p[(r >> 10) & 1023]
        + p[r & 1023]
    )


def id_before(ts: float) -> str:
    """The smallest id that could be made at `ts`: every id made earlier sorts below it."""
    return _time_prefix(int(ts * 1000)) + "0" * 16
