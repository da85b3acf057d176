"""Jinja2 templates for the dashboard (autoescaped) and the one way pages are rendered."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from headway.web.assets import PLOTLY_URL
from headway.web.csrf import csrf_token

TEMPLATES_DIR = str(resources.files("headway.web") / "templates")

# Everything rendered is escaped unless a template says otherwise (it never should).
_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
templates = Jinja2Templates(env=_env)
templates.env.globals["plotly_url"] = PLOTLY_URL


def compile_templates() -> None:
    """Compile every page template now (~0.2 s), so that no first view waits for it."""
    for name in _env.list_templates(extensions=["html"]):
        _env.get_template(name)


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """``template`` rendered with ``context`` plus the request and its CSRF token."""
    full = {"csrf_token": csrf_token(request), **context}
    return templates.TemplateResponse(request, template, full, status_code=status_code)
