"""The Python API for analysts: ``headway.open(db)`` gives journeys and reports.

    >>> import headway
    >>> hw = headway.open("demo.duckdb")
    >>> report = hw.funnel("examples/lead-nurturing.yaml", as_of="2025-06-30")
    >>> report.to_pandas()

Every report is a typed result with ``to_dict()``, ``to_arrow()``, ``to_pandas()`` and
``to_polars()``. Matches are reused while the data is unchanged (``headway.match_cache``);
the numbers are always those of a fresh run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from headway.backends.base import Backend
from headway.backends.duckdb import DuckDBBackend
from headway.engine.catalog import discovery
from headway.engine.catalog.discovery import PropertySummary, TypeSummary
from headway.engine.catalog.journey_warnings import (
    JourneyWarning,
    journey_warnings,
    referenced_paths,
)
from headway.engine.funnel.breakdowns import BreakdownReport, breakdown
from headway.engine.funnel.contact_lists import ContactList, contact_list, resolve_stage
from headway.engine.funnel.report import FunnelReport, funnel_report
from headway.engine.funnel.trends import TrendReport, trend_report
from headway.engine.kernel.run import Matched
from headway.engine.options import (
    DateWindow,
    ReportOptions,
    parse_date_range,
    parse_instant,
    utc_now,
)
from headway.errors import ConfigError, InvalidInput, NotOnBackend
from headway.fresh_matches import FreshMatches
from headway.live.events import JourneyEvent as JourneyEvent
from headway.live.runtime import LagFigures as LagFigures
from headway.live.service import LiveContact as LiveContact
from headway.live.service import LiveService
from headway.live.service import LiveStage as LiveStage
from headway.live.service import LiveStatus as LiveStatus
from headway.match_cache import DEFAULT_BUDGET_BYTES, MatchCache
from headway.model.dialect import checking_with
from headway.model.journey import Journey, parse_journey
from headway.service.access import AccessService
from headway.service.actions import ActionService
from headway.service.analysis import AnalysisService
from headway.service.contacts import ContactService
from headway.service.emails import EmailService
from headway.service.flows import FlowService
from headway.service.journeys import JourneyAdmin
from headway.service.log_summary import LogSummaryService
from headway.service.recording import RecordingService
from headway.service.segments import Filters, SegmentService
from headway.store import AppendResult, Store, identities
from headway.store.erase import ErasureReport, erase_contact
from headway.store.erased import is_erased
from headway.store.identities import ClaimOutcome, ContactIdentities, IdentityLink
from headway.store.imports import ImportRecord, UndoReport, list_imports, undo_import
from headway.store.journeys import list_journeys, resolve_journey
from headway.store.table_export import TableExport, export_table

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from headway.backends.spark.settings import SparkSettings
    from headway.engine.attribution.report import AttributionReport
    from headway.engine.diagnostics.drivers import DriversReport
    from headway.engine.diagnostics.email_influence import EmailInfluence
    from headway.engine.diagnostics.email_rankings import EmailRanking
    from headway.engine.diagnostics.stalls import StallsReport
    from headway.ingest.files import ImportOptions, Warn
    from headway.ingest.importer import ImportOutcome, ReportFor
    from headway.ingest.presets import IdentityClaim
    from headway.service.types import *  # noqa: F403  (the result types surfaces import from here)

JourneyRef = Journey | str | Path | Mapping[str, Any]
Instant = datetime | date | str | None
Range = DateWindow | str | tuple[Instant, Instant] | None
# A surface passes the options it already parsed (as_of, date range, segment) as ``as_of``.
AsOf = Instant | ReportOptions


class Headway(
    JourneyAdmin,
    ContactService,
    EmailService,
    AccessService,
    RecordingService,
    LogSummaryService,
    FlowService,
    AnalysisService,
    SegmentService,
    ActionService,
    LiveService,
):
    """An open Headway database and the reports over it: the one service behind the CLI, the
    REST API and the dashboard (its parts by concept in ``headway.service``)."""

    def __init__(
        self,
        store: Store | None = None,
        *,
        cache_bytes: int = DEFAULT_BUDGET_BYTES,
        backend: Backend | None = None,
    ) -> None:
        if backend is None:
            if store is None:
                raise ValueError("Headway needs a store or a backend")
            backend = DuckDBBackend(store)
        self._store = store
        self.backend: Backend = backend
        self.cache: MatchCache | FreshMatches
        if isinstance(backend, DuckDBBackend):
            # Matches reused until the next write; outcomes at as_of are computed per call.
            self.cache = MatchCache(backend, cache_bytes)
        else:  # no generation to key reuse on: every report matches afresh
            self.cache = FreshMatches(backend)

    @property
    def store(self) -> Store:
        """The DuckDB store: what only the embedded backend has (stored journeys, imports,
        identities, erasure...); on another backend, an error naming the operation."""
        if self._store is None:
            raise NotOnBackend(_caller(), self.backend.name)
        return self._store

    # -- journeys ----------------------------------------------------------------------
    def journey(self, ref: JourneyRef) -> Journey:
        """A journey from a Journey, a definition mapping, a file path or a stored name."""
        if isinstance(ref, Journey):
            return ref
        if isinstance(ref, Mapping):
            with checking_with(self.backend.dialect):  # the values this engine can run
                return parse_journey(ref)
        with checking_with(self.backend.dialect):
            return resolve_journey(self._store, str(ref))

    def journeys(self) -> list[Any]:
        """The stored journeys (``error`` says why one no longer validates, else None)."""
        return list(list_journeys(self.store))

    # -- reports -----------------------------------------------------------------------
    def match(
        self,
        journey: JourneyRef,
        *,
        as_of: AsOf = None,
        date_range: Range = None,
        segment: Filters = None,
    ) -> Matched:
        """Every contact's best attempt (the raw material of every report)."""
        return self.cache.match(self.journey(journey), self._options(as_of, date_range, segment))

    def funnel(
        self,
        journey: JourneyRef,
        *,
        as_of: AsOf = None,
        date_range: Range = None,
        segment: Filters = None,
    ) -> FunnelReport:
        """Reached, conversion, dropped / in progress / stalled and times per stage."""
        return funnel_report(
            self.match(journey, as_of=as_of, date_range=date_range, segment=segment)
        )

    def trends(
        self,
        journey: JourneyRef,
        by: str = "week",
        *,
        as_of: AsOf = None,
        date_range: Range = None,
        segment: Filters = None,
    ) -> TrendReport:
        """Conversion by entry day, week or month."""
        j, opts = self.journey(journey), self._options(as_of, date_range, segment)
        report = self.cache.derived(
            j, opts, ("trends", by), lambda: trend_report(self.cache.match(j, opts), by)
        )
        return replace(report, journey=j.name, as_of=opts.as_of)

    def breakdown(
        self,
        journey: JourneyRef,
        by: str,
        *,
        touch: str = "first",
        top: int = 10,
        as_of: AsOf = None,
        date_range: Range = None,
        segment: Filters = None,
    ) -> BreakdownReport:
        """The funnel per value of a property (first or last touch) or a contact attribute."""
        j, opts = self.journey(journey), self._options(as_of, date_range, segment)

        def compute() -> BreakdownReport:
            return breakdown(self.backend, j, opts, by, touch, top, matcher=self.cache.match)

        report = self.cache.derived(j, opts, ("breakdown", by, touch, top), compute)
        return replace(report, journey=j.name, as_of=opts.as_of)

    def contacts(
        self,
        journey: JourneyRef,
        stage: str | int,
        status: str = "reached",
        *,
        offset: int = 0,
        limit: int | None = None,
        as_of: AsOf = None,
        date_range: Range = None,
        segment: Filters = None,
    ) -> ContactList:
        """The contacts who reached / dropped at / are in progress at / stalled at a stage."""
        j = self.journey(journey)
        matched = self.cache.match(j, self._options(as_of, date_range, segment))
        return contact_list(
            self.backend, matched, resolve_stage(j, stage), status, offset=offset, limit=limit
        )

    # -- drivers -----------------------------------------------------------------------
    def drivers(
        self,
        journey: JourneyRef,
        *,
        stage: str | int | None = None,
        min_support: int = 20,
        human: bool = True,
        as_of: AsOf = None,
        date_range: Range = None,
        segment: Filters = None,
        include_excluded: bool = False,
    ) -> DriversReport:
        """Per transition (or from ``stage`` on), the touchpoints that go with moving on;
        ``include_excluded`` also tests those left out by default (docs/drivers.md)."""
        from headway.engine.diagnostics.drivers import drivers_report

        j, opts = self.journey(journey), self._options(as_of, date_range, segment)
        k = resolve_stage(j, stage) if stage is not None else None
        return drivers_report(
            self.backend, j, opts, stage=k, min_support=min_support, human=human,
            matched=self.cache.match(j, opts), include_excluded=include_excluded,
        )  # fmt: skip

    def stalls(
        self,
        journey: JourneyRef,
        *,
        stage: str | int | None = None,
        min_support: int = 20,
        human: bool = True,
        limit: int | None = 100,
        as_of: AsOf = None,
        date_range: Range = None,
        segment: Filters = None,
    ) -> StallsReport:
        """Per stage, the stalled contacts, their last touchpoints and what is over-represented."""
        from headway.engine.diagnostics.stalls import stalls_report

        j, opts = self.journey(journey), self._options(as_of, date_range, segment)
        k = resolve_stage(j, stage) if stage is not None else None
        return stalls_report(
            self.backend, j, opts, stage=k, min_support=min_support, human=human, limit=limit,
            matched=self.cache.match(j, opts),
        )  # fmt: skip

    def attribution(
        self,
        journey: JourneyRef,
        *,
        models: tuple[str, ...] | None = None,
        order: int = 1,
        human: bool = True,
        as_of: AsOf = None,
        date_range: Range = None,
        segment: Filters = None,
    ) -> AttributionReport:
        """Conversions credited to touchpoints by each model (default all; Markov: exact removal
        effects)."""
        from headway.engine.attribution.report import (
            MODELS,
            AttributionOptions,
            attribution_report,
        )

        chosen = AttributionOptions(
            models=MODELS if models is None else models, order=order, human=human
        )
        j, opts = self.journey(journey), self._options(as_of, date_range, segment)
        return attribution_report(self.backend, j, opts, chosen, matcher=self.cache.match)

    def email_influence(
        self,
        email: str,
        journey: JourneyRef,
        *,
        days: int = 7,
        human: bool = True,
        as_of: AsOf = None,
    ) -> EmailInfluence:
        """How an email's recipients at each stage moved on within ``days``, by engagement."""
        from headway.engine.diagnostics.email_influence import email_influence

        j, opts = self.journey(journey), options(as_of, None)
        return email_influence(
            self.backend, j, opts, email, days=days, human=human, matcher=self.cache.match
        )

    def email_ranking(
        self,
        *,
        by: str = "unsubscribes",
        days: int = 7,
        journey: JourneyRef | None = None,
        as_of: AsOf = None,
    ) -> EmailRanking:
        """Emails ranked by unsubscribes (or, with a journey, drop-off) within ``days``."""
        from headway.engine.diagnostics.email_rankings import email_ranking

        j = self.journey(journey) if journey is not None else None
        return email_ranking(
            self.backend, options(as_of, None), days=days, journey=j, by=by,
            matcher=self.cache.match,
        )  # fmt: skip

    # -- data --------------------------------------------------------------------------
    def add_activities(
        self, records: Iterable[Mapping[str, Any]], *, source: str = "api"
    ) -> AppendResult:
        """Validate and append activity records (``contact``, ``type``, ``ts``, ``properties``, ``id``).

        Raises ``InvalidInput`` listing every rejected record; nothing is written then.
        """
        from headway.ingest.records import validate_records

        table, problems = validate_records(records, source=source)
        if problems:
            raise InvalidInput(
                f"{len(problems)} activit{'y was' if len(problems) == 1 else 'ies were'} rejected",
                problems,
            )
        return self.store.append_activities(table)

    def export(
        self,
        path: str | Path,
        format: str = "parquet",
        *,
        buckets: int | None = None,
        overwrite: bool = False,
    ) -> TableExport:
        """Write the log and contacts as a contact-partitioned Parquet or Delta table that the
        Spark backend reads directly (docs/scale-out.md)."""
        return export_table(self.store, path, format, buckets=buckets, overwrite=overwrite)

    # -- identities (docs/identities.md) -------------------------------------------------
    def identities(
        self, contact: str | None = None
    ) -> ContactIdentities | tuple[IdentityLink, ...]:
        """The merges of one contact (its aliases, what it is merged into, the links), or
        every recorded link (newest first) when no contact is given."""
        if contact is None:
            return identities.list_links(self.store)
        return identities.contact_identities(self.store, contact)

    def merge(self, alias: str, contact: str) -> ClaimOutcome:
        """Merge ``alias`` into ``contact`` (both known contacts); the outcome says whether it
        is in force or in conflict with an earlier claim."""
        return identities.merge(self.store, alias, contact)

    def unmerge(self, link_id: int) -> IdentityLink:
        """Undo an identity link; resolution is recomputed (a claim it blocked may apply)."""
        return identities.undo(self.store, link_id)

    def claim_identities(self, claims: Sequence[IdentityClaim]) -> list[ClaimOutcome]:
        """Record identity claims (an anonymous id is a known one), one outcome per claim."""
        return identities.claim(self.store, claims)

    def set_attributes(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
        """Merge attributes into contacts (latest wins, null removes); contacts updated."""
        return identities.store_attributes(self.store, [(c, dict(a)) for c, a in items])

    # -- imports (docs/import.md) ------------------------------------------------------
    def import_files(
        self,
        paths: Sequence[str | Path],
        options: ImportOptions | None = None,
        *,
        report_for: ReportFor | None = None,
        warn: Warn | None = None,
    ) -> ImportOutcome:
        """Import activity files (or another tool's export, ``options.preset``) under one
        import id; every file is checked before anything is written."""
        from headway.ingest.files import ImportOptions
        from headway.ingest.importer import run_import

        return run_import(
            self.store, [Path(p) for p in paths], options or ImportOptions(),
            report_for=report_for, warn=warn,
        )  # fmt: skip

    def imports(self) -> list[ImportRecord]:
        """Every import, newest first."""
        return list_imports(self.store)

    def undo_import(self, import_id: int) -> UndoReport:
        """Remove exactly the rows import ``import_id`` inserted (and its identity merges)."""
        return undo_import(self.store, import_id)

    # -- privacy (docs/privacy.md) -----------------------------------------------------
    def erase_contact(self, contact_id: str) -> ErasureReport:
        """Erase a contact, the ids merged with it and all their data, then rewrite the file
        so no byte of them is left; they stay suppressed as salted digests."""
        return erase_contact(self.store, contact_id)

    def is_erased(self, name: str) -> bool:
        """Whether ``name`` (a contact id or an email address) belongs to an erased contact."""
        return is_erased(self.store, name)

    # -- discovery (docs/discovery.md) ---------------------------------------------------
    def types(self) -> list[TypeSummary]:
        """Every activity type seen: activities, distinct contacts, first and last seen."""
        return discovery.activity_types(self.backend)

    def properties(self, type: str | None = None, *, top: int = 10) -> list[PropertySummary]:
        """Every property path seen (of ``type``): fill rate, JSON types, top values."""
        return discovery.properties(self.backend, type, top=top)

    def warnings(
        self, journey: JourneyRef, *, as_of: AsOf = None, date_range: Range = None
    ) -> list[JourneyWarning]:
        """What in ``journey`` can match nothing in this data (never blocks a report)."""
        j = self.journey(journey)
        opts = options(as_of, date_range) if as_of is not None or date_range else None
        try:
            catalog = discovery.catalog_for(self.backend, referenced_paths(j))
        except NotOnBackend as e:  # warnings never block a report: say they went unchecked
            return [JourneyWarning("not_checked", None, e.message)]
        return journey_warnings(j, catalog, opts)

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        """Close the database."""
        self.store.close()

    def __enter__(self) -> Headway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open(
    db: str | Path | None = None,
    *,
    read_only: bool = False,
    cache_bytes: int = DEFAULT_BUDGET_BYTES,
    spark: SparkSession | None = None,
    source: str | Path | None = None,
    columns: Mapping[str, str | None] | None = None,
    source_format: str | None = None,
    contacts: str | Path | None = None,
) -> Headway:
    """Open a Headway database (default ``$HEADWAY_DB`` or ``./headway.duckdb``).

    ``cache_bytes`` bounds the memory of reused matches (0 keeps none). While a ``headway
    serve`` holds the file, the result's calls run in that server (docs/python.md).
    With ``spark`` (a SparkSession) and ``source`` (a Parquet or Delta table, an export
    directory, or a catalog table), reports run on Spark instead (docs/scale-out.md).
    """
    if spark is not None or source is not None:
        if db is not None:
            raise InvalidInput("open takes a database or spark= and source=, not both")
        if spark is None or source is None:
            raise InvalidInput("the spark backend needs both spark= (a SparkSession) and source=")
        from headway.backends.spark.backend import SparkBackend

        backend = SparkBackend(
            spark, str(source), columns=columns, format=source_format,
            contacts=None if contacts is None else str(contacts),
        )  # fmt: skip
        return Headway(backend=backend)
    from headway.local_socket.remote import served_headway

    served = served_headway(db)
    if served is not None:
        return served
    return Headway(Store(db, read_only=read_only), cache_bytes=cache_bytes)


@contextmanager
def open_spark(settings: SparkSettings) -> Iterator[Headway]:
    """Headway on Spark over the ``[spark]`` settings' source (``source``, ``columns``,
    ``contacts``, ``partitions``...): its session starts for the block and stops after
    (docs/scale-out.md)."""
    from headway.backends.spark.backend import SparkBackend
    from headway.backends.spark.session import spark_session

    if settings.source is None:
        raise ConfigError(
            "the spark backend needs a source: --source PATH_OR_TABLE or [spark] source"
        )
    with spark_session(settings) as spark:
        backend = SparkBackend(
            spark,
            settings.source,
            columns=settings.columns,
            format=settings.source_format,
            contacts=settings.contacts,
            contact_columns=settings.contact_columns,
            partitions=settings.partitions,
        )
        yield Headway(backend=backend)


def __getattr__(name: str) -> object:
    """The result types surfaces import from here, loaded on first use from
    ``headway.service.types`` (so that ``headway funnel`` does not load every report's module)."""
    from headway.service import types

    try:
        return getattr(types, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def _caller() -> str:
    """The name of the Headway method that asked for the store (for NotOnBackend)."""
    frame = sys._getframe(2)
    name = frame.f_code.co_name
    return name.lstrip("_") if name != "<module>" else "this operation"


def options(as_of: AsOf = None, date_range: Range = None) -> ReportOptions:
    """Normalise report options once: ``as_of`` (default now) and the date range; options a
    surface parsed already (``ReportOptions``) are taken as they are."""
    if isinstance(as_of, ReportOptions):
        return as_of if date_range is None else replace(as_of, date_range=_range(date_range))
    return ReportOptions(as_of=_instant(as_of, "as_of") or utc_now(), date_range=_range(date_range))


def _instant(value: Instant, field: str, *, end_of_day: bool = False) -> datetime | None:
    if value is None or isinstance(value, datetime):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return parse_instant(value.isoformat(), field=field)
        return value
    if isinstance(value, date):
        return parse_instant(value.isoformat(), field=field, end_of_day=end_of_day)
    return parse_instant(str(value), field=field, end_of_day=end_of_day)


def _range(value: Range) -> DateWindow | None:
    if value is None or isinstance(value, DateWindow):
        return value
    if isinstance(value, str):
        return parse_date_range(value)
    start, end = value
    return DateWindow(_instant(start, "date_range"), _instant(end, "date_range", end_of_day=True))
