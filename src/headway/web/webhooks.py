"""ESP webhook routes: ``POST /webhooks/{provider}``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
