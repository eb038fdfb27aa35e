"""Checks on text that came from the wire (headers, paths, query strings)."""

# What the OpenAPI document states of such text: no NUL. (Lone surrogates, which is_text also
# refuses, are no JSON Schema string.)
NO_NUL_PATTERN = "^[^\\u0000]*$"


def is_text(value: str) -> bool:
    """Whether `value` can be stored and echoed back: UTF-8 encodable (no lone surrogates left
    by a lossy decode) and free of NUL."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value
