"""The `name=value` fields of an audit record. Values stay the strings the kernel wrote, except
that text the kernel hex-encoded (it does so when a value holds a space, a quote or a control
byte: `proctitle=`, `exe=`, `name=`, EXECVE's `a0=`...) is decoded back to text."""

from __future__ import annotations

import re

# Fields whose unquoted value is hex-encoded text (as auparse interprets them).
_ENCODED = frozenset(
    {
        "proctitle", "exe", "comm", "name", "cwd", "path", "cmd", "acct", "key", "data",
        "vm", "root_dir", "old-chardev", "new-chardev", "grp", "new_group", "sw", "ocomm",
        "new-disk", "old-disk", "new-fs", "old-fs", "new-net", "old-net", "new-rng", "old-rng",
        "watch", "dir", "file", "old_prom", "subj", "obj",
    }
)  # fmt: skip
_EXECVE_ARG = re.compile(r"^a\d+(\[\d+\])?$")
_HEX = re.compile(r"^(?:[0-9A-F]{2})+$")
_TOKEN = re.compile(r"""([^\s=]+)=("[^"]*"|'[^']*'|\{[^}]*\}|\S*)""")
KEY_SEPARATOR = "\x01"  # several rule keys on one event are joined by it


def parse_fields(body: str, record_type: str) -> dict[str, str | None]:
    """Every `name=value` of `body`; a nested `msg='...'` (user-space records) is parsed too
    and its fields added, the raw text kept under `msg`."""
    fields: dict[str, str | None] = {}
    for name, raw in _TOKEN.findall(body):
        if raw.startswith("'") and name == "msg":
            inner = raw[1:-1]
            fields["msg"] = inner
            for inner_name, value in parse_fields(inner, record_type).items():
                fields.setdefault(inner_name, value)
            continue
        fields[name] = decode_value(name, raw, record_type)
    return fields


def decode_value(name: str, raw: str, record_type: str) -> str | None:
    if raw == "(null)":
        return None
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    if raw.startswith("{") and raw.endswith("}"):
        return raw[1:-1].strip()
    encoded = name in _ENCODED or (record_type == "EXECVE" and _EXECVE_ARG.match(name))
    if encoded and _HEX.match(raw):
        text = bytes.fromhex(raw).decode("utf-8", "backslashreplace")
        return text.replace("\x00", " ") if name == "proctitle" else text
    return raw
