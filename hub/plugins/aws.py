"""A boto3 session for one trigger, from its `AwsOptions`. Importing this module imports boto3:
a plugin imports it only from the module of its AWS source, which its factory loads with
`import_aws`, so a missing `aws` extra is named when a trigger uses that source, not before."""

from __future__ import annotations

from typing import Any

import boto3

from hub.plugins.options import AwsOptions


def aws_session(options: AwsOptions, region: str | None = None) -> Any:
    """Its own session (boto3's default one is shared and not thread-safe); `region` stands in
    when the options name none. Blocking (it reads credential files): call it in a thread."""
    secret, token = options.secret_access_key, options.session_token
    return boto3.session.Session(
        aws_access_key_id=options.access_key_id,
        aws_secret_access_key=secret.get_secret_value() if secret is not None else None,
        aws_session_token=token.get_secret_value() if token is not None else None,
        region_name=options.region or region,
    )
