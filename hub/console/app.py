"""Mounting the console on the API application: `/ui/` for the pages, `/` redirects there."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from hub.api.state import CONTEXT
from hub.console import live, login, pages_config, pages_invocations, pages_overview
from hub.console.activity import Activity
from hub.console.guard import ACTIVITY, guard, template_context
from hub.console.shown import duration, number, when

HERE = Path(__file__).parent


def add_console(app: web.Application) -> None:
    """Call after the app's ApiContext is set: the console reads the hub and settings from it."""
    console = web.Application(middlewares=[guard])
    env = aiohttp_jinja2.setup(
        console,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        context_processors=[template_context],
    )
    env.filters.update(when=when, duration=duration, number=number)
    activity = console[ACTIVITY] = Activity()
    for module in (login, pages_overview, pages_invocations, pages_config, live):
        console.add_routes(module.routes)
    console.router.add_static("/static/", HERE / "static", append_version=True, name="static")
    app.add_subapp("/ui/", console)
    app.router.add_get("/", _to_console)
    app.router.add_get("/ui", _to_console)
    hooks = app[CONTEXT].hub.hooks
    activity.attach(hooks)

    async def detach(_app: web.Application) -> None:
        activity.detach(hooks)

    app.on_cleanup.append(detach)
    ending = console[live.ENDING] = asyncio.Event()

    async def end_streams(_app: web.Application) -> None:
        ending.set()

    app.on_shutdown.append(end_streams)


async def _to_console(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/ui/")
