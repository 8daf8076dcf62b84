"""Mounting the LTI 1.3 tool on the web app."""

from __future__ import annotations

import secrets

from aiohttp import web

from app.settings import Settings
from core.services import Services
from lti.web import setup

#: used when PEERLEARN_SECRET_KEY is empty: page forms then expire when the process restarts
_PROCESS_SECRET = secrets.token_urlsafe(32)


def mount_lti(app: web.Application, settings: Settings, services: Services) -> None:
    setup(app, services, settings.secret_key.reveal() or _PROCESS_SECRET)
