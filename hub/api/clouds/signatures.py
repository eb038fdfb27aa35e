"""Checking the signatures the clouds' SDKs put on requests, with each vendor's own signer.

The expected signature is computed by the vendor's signing code from the configured secret:
botocore's SigV4Auth for AWS4-HMAC-SHA256, alibabacloud-tea-openapi's `get_authorization` for
ACS3-HMAC-SHA256, huaweicloudsdkcore's `Signer` for SDK-HMAC-SHA256. Those packages are
optional: a signed request that needs a missing one is refused with a message naming it."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from aiohttp import web

from hub import clock
from hub.api.clouds.errors import CloudError
from hub.api.clouds.keys import AccessKey

# As the clouds allow: a signature made longer ago (or further ahead) than this is refused,
# so a captured request cannot be replayed later.
MAX_SKEW = 15 * 60.0
_FIELD = re.compile(r"([A-Za-z]+)=([^,\s]*)")


@dataclass(slots=True, frozen=True)
class Signed:
    """A request's Authorization in one of the clouds' signature schemes."""

    scheme: str
    key_id: str
    signed_headers: list[str]
    signature: str
    fields: dict[str, str]


SCHEMES = ("AWS4-HMAC-SHA256", "ACS3-HMAC-SHA256", "SDK-HMAC-SHA256")
_KEY_FIELD = {"AWS4-HMAC-SHA256": "Credential", "ACS3-HMAC-SHA256": "Credential"}


def signed(request: web.Request) -> Signed | None:
    """The request's signature, or None when it carries none of the clouds' schemes."""
    value = request.headers.get("Authorization", "")
    scheme, _, rest = value.partition(" ")
    if scheme not in SCHEMES:
        return None
    fields = dict(_FIELD.findall(rest))
    key_id = fields.get(_KEY_FIELD.get(scheme, "Access"), "").split("/", 1)[0]
    headers = fields.get("SignedHeaders", "")
    if not key_id or not headers or not fields.get("Signature"):
        raise CloudError(403, f"malformed {scheme} Authorization header", "signature")
    return Signed(scheme, key_id, headers.lower().split(";"), fields["Signature"], fields)


def verify(request: web.Request, body: bytes, sig: Signed, key: AccessKey) -> None:
    """Raises CloudError 403 unless `sig` is `key`'s signature of this request."""
    missing = [h for h in sig.signed_headers if h not in request.headers]
    if missing:
        raise CloudError(403, f"signed header {missing[0]!r} is not in the request", "signature")
    _VERIFIERS[sig.scheme](request, body, sig, key)


def _headers(request: web.Request, sig: Signed) -> dict[str, str]:
    """The signed headers, each once, under the name the client sent."""
    wanted = set(sig.signed_headers)
    return {name: value for name, value in request.headers.items() if name.lower() in wanted}


def _fresh(when: datetime, header: str) -> None:
    skew = abs(when.timestamp() - clock.now())
    if skew > MAX_SKEW:
        raise CloudError(
            403,
            f"the signature's time ({header}) is {skew:.0f}s away from the hub's clock; at most "
            f"{MAX_SKEW:.0f}s are accepted",
            "expired",
        )


def _time(request: web.Request, header: str, fmt: str) -> datetime:
    try:
        return datetime.strptime(request.headers[header], fmt).replace(tzinfo=UTC)
    except (KeyError, ValueError):
        raise CloudError(
            403, f"a signed request needs the {header} header ({fmt})", "signature"
        ) from None


def _match(expected: str, given: str) -> None:
    # Constant-time: how much of a guess was right must not show in the answer's timing.
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise CloudError(
            403,
            "the request signature does not match the one computed with the access key's secret",
            "signature",
        )


def _missing(package: str, scheme: str) -> CloudError:
    return CloudError(
        500,
        f"checking {scheme} signatures needs the Python package {package}, which is not "
        "installed; install it (pip install 'triggerhub[clouds]')",
        "internal",
    )


def _sigv4(request: web.Request, body: bytes, sig: Signed, key: AccessKey) -> None:
    try:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
    except ImportError:
        raise _missing("botocore", sig.scheme) from None
    when = _time(request, "X-Amz-Date", "%Y%m%dT%H%M%SZ")
    _fresh(when, "X-Amz-Date")
    scope = sig.fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise CloudError(403, "the credential scope is not KEY/DATE/REGION/SERVICE/aws4_request")
    _key_id, day, region, service, _ = scope
    stamp = request.headers["X-Amz-Date"]
    if day != stamp[:8]:
        raise CloudError(403, "the credential scope's date is not the X-Amz-Date's", "signature")
    headers = _headers(request, sig)
    host = request.headers.get("Host", "")
    aws = AWSRequest(
        method=request.method, url=f"http://{host}{request.raw_path}", headers=headers, data=body
    )
    aws.context["timestamp"] = stamp
    signer = SigV4Auth(Credentials(key.id, key.secret), service, region)
    canonical = signer.canonical_request(aws)
    expected = signer.signature(signer.string_to_sign(aws, canonical), aws)
    _match(expected, sig.signature)


def _acs3(request: web.Request, body: bytes, sig: Signed, key: AccessKey) -> None:
    try:
        from alibabacloud_tea_openapi.utils import Utils
    except ImportError:
        raise _missing("alibabacloud-tea-openapi", sig.scheme) from None
    when = _time(request, "x-acs-date", "%Y-%m-%dT%H:%M:%SZ")
    _fresh(when, "x-acs-date")
    if "x-acs-content-sha256" not in sig.signed_headers:
        raise CloudError(403, "x-acs-content-sha256 must be among the signed headers", "signature")
    content_hash = request.headers.get("x-acs-content-sha256", "")
    # The signature covers the body only through this header: it must be the body's hash.
    if content_hash != hashlib.sha256(body).hexdigest():
        raise CloudError(403, "x-acs-content-sha256 is not the SHA-256 of the body", "signature")
    fake = SimpleNamespace(
        method=request.method,
        pathname=request.raw_path.split("?", 1)[0],
        query=dict(request.query),
        headers=_headers(request, sig),
    )
    expected = Utils.get_authorization(fake, sig.scheme, content_hash, key.id, key.secret)
    _match(expected.rpartition("Signature=")[2], sig.signature)


def _sdk_hmac(request: web.Request, body: bytes, sig: Signed, key: AccessKey) -> None:
    try:
        from huaweicloudsdkcore.sdk_request import SdkRequest
        from huaweicloudsdkcore.signer.signer import Signer
    except ImportError:
        raise _missing("huaweicloudsdkcore", sig.scheme) from None
    when = _time(request, "X-Sdk-Date", "%Y%m%dT%H%M%SZ")
    _fresh(when, "X-Sdk-Date")
    sdk = SdkRequest(
        method=request.method,
        resource_path=request.path,
        query_params=list(request.query.items()),
        header_params=_headers(request, sig),
        body=body or None,
    )
    signer: Any = Signer(SimpleNamespace(ak=key.id, sk=key.secret))
    signer.sign(sdk)
    expected: str = sdk.header_params["Authorization"]
    _match(expected.rpartition("Signature=")[2], sig.signature)


_VERIFIERS: dict[str, Callable[[web.Request, bytes, Signed, AccessKey], None]] = {
    "AWS4-HMAC-SHA256": _sigv4,
    "ACS3-HMAC-SHA256": _acs3,
    "SDK-HMAC-SHA256": _sdk_hmac,
}
