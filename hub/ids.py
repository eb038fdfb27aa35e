"""Sortable invocation ids: 48 bits of milliseconds then 80 random bits, as 26 Crockford chars.

Lexicographic order of the text is creation order (to the millisecond), which is what
cursor paging over `id` relies on.
"""

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(now: float | None = None) -> str:
    ms = int((time.time() if now is None else now) * 1000)
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))
