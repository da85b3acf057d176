"""The result types, constants and small helpers that surfaces show: one place to import them.

Surfaces (``headway.web``, ``headway.cli``) take these from here or from ``headway.api``
(which re-exports every name), never from the engine, the store or a backend. Names load on
first use (PEP 562), so the CLI's start-up does not pay for DuckDB or the engine. To add
one: an import under ``TYPE_CHECKING`` and its module in ``_WHERE`` (a test checks the two
agree; ``"module:attr"`` re-exports under another name).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from headway.actions.cohort_sync import CohortSync
    from headway.actions.delivery import Delivery
    from headway.actions.digest import Digest
    from headway.actions.holdouts import Uplift
    from headway.actions.subscriptions import EVENT_KINDS, Subscription
    from headway.engine.attribution.report import (
        MODELS,
        AttributionOptions,
        AttributionReport,
        parse_models,
    )
    from headway.engine.catalog.discovery import PropertySummary, TypeSummary
    from headway.engine.catalog.journey_warnings import JourneyWarning
    from headway.engine.diagnostics.drivers import DriversReport, Transition, times
    from headway.engine.diagnostics.email_influence import EmailInfluence, check_days
    from headway.engine.diagnostics.email_journeys import EmailStages, JourneyEngagement
    from headway.engine.diagnostics.email_rankings import EmailRanking
    from headway.engine.diagnostics.stalls import StageStalls, StallsReport
    from headway.engine.email.queries import MAX_HOUR, StatsQuery
    from headway.engine.email.stats import EmailMetrics, EmailStatsReport, Timing
    from headway.engine.email.suppression import Suppression
    from headway.engine.email.suppression import write_csv as write_suppressions_csv
    from headway.engine.funnel.breakdowns import TOUCHES, BreakdownReport
    from headway.engine.funnel.compare import CompareReport
    from headway.engine.funnel.contact_journeys import ContactJourney, StageMark, stage_marks
    from headway.engine.funnel.contact_lists import (
        STATUS_NAMES,
        ContactList,
        ContactRow,
        resolve_stage,
    )
    from headway.engine.funnel.report import FunnelReport, StageRow
    from headway.engine.funnel.time_to_convert import TimeToConvertReport
    from headway.engine.funnel.trends import TrendReport
    from headway.engine.options import (
        DEFAULT_LIMIT,
        DEFAULT_MIN_SUPPORT,
        DateWindow,
        ReportOptions,
        parse_date_range,
        parse_instant,
        utc_now,
    )
    from headway.engine.results import iso
    from headway.store import AppendResult, Store, default_db_path
    from headway.store.api_keys import (
        MAX_NAME,
        SCOPES,
        KeyInfo,
        Principal,
        StoredKey,
        check_scopes,
        effective_scopes,
        match_key,
    )
    from headway.store.erase import ErasureReport
    from headway.store.identities import ClaimOutcome, ContactIdentities, IdentityLink
    from headway.store.imports import ImportRecord, UndoReport
    from headway.store.journeys import StoredJourney
    from headway.store.open_stores import key as served_key
    from headway.store.open_stores import lookup as served_store

_WHERE: dict[str, str] = {
    "CohortSync": "headway.actions.cohort_sync",
    "Delivery": "headway.actions.delivery",
    "Digest": "headway.actions.digest",
    "Uplift": "headway.actions.holdouts",
    **dict.fromkeys(("EVENT_KINDS", "Subscription"), "headway.actions.subscriptions"),
    **dict.fromkeys(
        ("MODELS", "AttributionOptions", "AttributionReport", "parse_models"),
        "headway.engine.attribution.report",
    ),
    **dict.fromkeys(("PropertySummary", "TypeSummary"), "headway.engine.catalog.discovery"),
    "JourneyWarning": "headway.engine.catalog.journey_warnings",
    **dict.fromkeys(("DriversReport", "Transition", "times"), "headway.engine.diagnostics.drivers"),
    **dict.fromkeys(("EmailInfluence", "check_days"), "headway.engine.diagnostics.email_influence"),
    **dict.fromkeys(
        ("EmailStages", "JourneyEngagement"), "headway.engine.diagnostics.email_journeys"
    ),
    "EmailRanking": "headway.engine.diagnostics.email_rankings",
    **dict.fromkeys(("StageStalls", "StallsReport"), "headway.engine.diagnostics.stalls"),
    **dict.fromkeys(("MAX_HOUR", "StatsQuery"), "headway.engine.email.queries"),
    **dict.fromkeys(("EmailMetrics", "EmailStatsReport", "Timing"), "headway.engine.email.stats"),
    "Suppression": "headway.engine.email.suppression",
    "write_suppressions_csv": "headway.engine.email.suppression:write_csv",
    **dict.fromkeys(("TOUCHES", "BreakdownReport"), "headway.engine.funnel.breakdowns"),
    "CompareReport": "headway.engine.funnel.compare",
    "TimeToConvertReport": "headway.engine.funnel.time_to_convert",
    **dict.fromkeys(
        ("ContactJourney", "StageMark", "stage_marks"), "headway.engine.funnel.contact_journeys"
    ),
    **dict.fromkeys(
        ("STATUS_NAMES", "ContactList", "ContactRow", "resolve_stage"),
        "headway.engine.funnel.contact_lists",
    ),
    **dict.fromkeys(("FunnelReport", "StageRow"), "headway.engine.funnel.report"),
    "TrendReport": "headway.engine.funnel.trends",
    **dict.fromkeys(
        (
            "DEFAULT_LIMIT",
            "DEFAULT_MIN_SUPPORT",
            "DateWindow",
            "ReportOptions",
            "parse_date_range",
            "parse_instant",
            "utc_now",
        ),
        "headway.engine.options",
    ),
    "iso": "headway.engine.results",
    **dict.fromkeys(("AppendResult", "Store", "default_db_path"), "headway.store"),
    **dict.fromkeys(
        (
            "MAX_NAME",
            "SCOPES",
            "KeyInfo",
            "Principal",
            "StoredKey",
            "check_scopes",
            "effective_scopes",
            "match_key",
        ),
        "headway.store.api_keys",
    ),
    "ErasureReport": "headway.store.erase",
    **dict.fromkeys(
        ("ClaimOutcome", "ContactIdentities", "IdentityLink"), "headway.store.identities"
    ),
    **dict.fromkeys(("ImportRecord", "UndoReport"), "headway.store.imports"),
    "StoredJourney": "headway.store.journeys",
    # The stores this process serves (``headway serve``), by database path.
    "served_key": "headway.store.open_stores:key",
    "served_store": "headway.store.open_stores:lookup",
}

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_MIN_SUPPORT",
    "EVENT_KINDS",
    "MAX_HOUR",
    "MAX_NAME",
    "MODELS",
    "SCOPES",
    "STATUS_NAMES",
    "TOUCHES",
    "AppendResult",
    "AttributionOptions",
    "AttributionReport",
    "BreakdownReport",
    "ClaimOutcome",
    "CohortSync",
    "CompareReport",
    "ContactIdentities",
    "ContactJourney",
    "ContactList",
    "ContactRow",
    "DateWindow",
    "Delivery",
    "Digest",
    "DriversReport",
    "EmailInfluence",
    "EmailMetrics",
    "EmailRanking",
    "EmailStages",
    "EmailStatsReport",
    "ErasureReport",
    "FunnelReport",
    "IdentityLink",
    "ImportRecord",
    "JourneyEngagement",
    "JourneyWarning",
    "KeyInfo",
    "Principal",
    "PropertySummary",
    "ReportOptions",
    "StageMark",
    "StageRow",
    "StageStalls",
    "StallsReport",
    "StatsQuery",
    "Store",
    "StoredJourney",
    "StoredKey",
    "Subscription",
    "Suppression",
    "TimeToConvertReport",
    "Timing",
    "Transition",
    "TrendReport",
    "TypeSummary",
    "UndoReport",
    "Uplift",
    "check_days",
    "check_scopes",
    "default_db_path",
    "effective_scopes",
    "iso",
    "match_key",
    "parse_date_range",
    "parse_instant",
    "parse_models",
    "resolve_stage",
    "served_key",
    "served_store",
    "stage_marks",
    "times",
    "utc_now",
    "write_suppressions_csv",
]


def __getattr__(name: str) -> object:
    """A re-exported name, imported from its module when first asked for."""
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, _, attr = where.partition(":")  # "module:attr" when the name differs there
    value = getattr(importlib.import_module(module), attr or name)
    globals()[name] = value
    return value
