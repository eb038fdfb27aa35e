"""Function names, ARNs and URNs as the clouds' SDKs send them → the hub's function names.

- Lambda: `NAME`, `NAME:QUALIFIER`, `ACCOUNT:function:NAME[:QUALIFIER]` and
  `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`: the segment after `function`.
- Function Compute: `NAME` (FC 3.0 addresses functions by name; a qualifier is a parameter).
- FunctionGraph: `urn:fss:REGION:PROJECT:function:PACKAGE:NAME[:VERSION]`: the segment after the
  package; a bare `NAME` too.

The hub has one version of each function: qualifiers, versions and aliases are accepted and
do not change which function runs."""

from __future__ import annotations

from hub.api.clouds.errors import CloudError

_URN_NAME = 6  # urn:fss:region:project:function:package:NAME


def lambda_function(reference: str) -> str:
    parts = reference.split(":")
    if "function" in parts[:-1]:
        return _named(parts[parts.index("function") + 1], reference)
    return _named(parts[0], reference)


def functiongraph_function(reference: str) -> str:
    parts = reference.split(":")
    if parts[0] == "urn":
        if len(parts) <= _URN_NAME or parts[1] != "fss" or parts[4] != "function":
            raise CloudError(
                400,
                f"{reference!r} is not a function URN "
                "(urn:fss:REGION:PROJECT:function:PACKAGE:NAME[:VERSION])",
            )
        return _named(parts[_URN_NAME], reference)
    return _named(parts[0], reference)


def _named(name: str, reference: str) -> str:
    if not name:
        raise CloudError(400, f"{reference!r} names no function")
    return name
