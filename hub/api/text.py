"""Checks on text that came from the wire (headers, paths, query strings)."""


def is_text(value: str) -> bool:
    """Whether `value` can be stored and echoed back: UTF-8 encodable (no lone surrogates left
    by a lossy decode) and free of NUL."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value
