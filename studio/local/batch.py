"""Placeholder: routes of the local server's batch API (being written)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from studio.local.server import LocalServer


def add_routes(app: web.Application, server: LocalServer) -> None:
    del app, server
