"""Importing a module that needs an optional extra (boto3 for AWS sources, say) only when a
trigger uses it, with the install hint instead of a bare ModuleNotFoundError."""

from __future__ import annotations

from collections.abc import Collection
from importlib import import_module
from typing import Any

from hub.errors import MissingExtraError


def import_extra(module: str, attribute: str, *, extra: str, packages: Collection[str]) -> Any:
    """`module.attribute`, imported now. A missing top-level package among `packages` (the
    extra's distributions) becomes a MissingExtraError naming `pip install 'triggerhub[extra]'`;
    any other missing module is a defect and propagates as it is."""
    try:
        loaded = import_module(module)
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if top in packages:
            raise MissingExtraError(top, extra) from None
        raise
    return getattr(loaded, attribute)


AWS_PACKAGES = ("boto3", "botocore")


def import_aws(module: str, attribute: str) -> Any:
    """For the AWS sources (SQS, CloudWatch Logs, CloudTrail): the `aws` extra."""
    return import_extra(module, attribute, extra="aws", packages=AWS_PACKAGES)
