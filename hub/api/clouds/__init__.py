"""The clouds' asynchronous-invocation APIs on the hub's listener: AWS Lambda, Alibaba
Function Compute 3.0 and Huawei FunctionGraph, so their SDKs work with only the endpoint and
credentials changed. They are not part of the hub's own API document (GET /openapi.json)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Middleware

from hub.api.clouds import aws_lambda, function_compute, functiongraph
from hub.api.clouds.gate import CloudRoutes, cloud_gate
from hub.api.clouds.keys import AccessKey, AccessKeys, load_access_keys

CLOUDS: tuple[CloudRoutes, ...] = (aws_lambda.CLOUD, function_compute.CLOUD, functiongraph.CLOUD)

__all__ = ["CLOUDS", "AccessKey", "AccessKeys", "add_cloud_routes", "auth", "load_access_keys"]


def auth(keys: AccessKeys, token_auth: Middleware | None) -> Middleware:
    """The API's authentication with the clouds' signatures: in place of `token_auth`."""
    return cloud_gate(CLOUDS, keys, token_auth)


def add_cloud_routes(app: web.Application) -> None:
    for cloud in CLOUDS:
        app.add_routes(cloud.routes)
