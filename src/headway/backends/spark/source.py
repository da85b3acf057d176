"""Where the activity log lives in Spark and which of its columns mean what.

A source is a Parquet directory, a Delta table or a catalog table name. The column mapping
names the table's columns for each field Headway reads; the defaults are the layout
``headway export --format parquet|delta`` writes (``id``, ``contact``, ``contact_key``,
``type``, ``ts``, ``properties``, ``source``, ``bot``), so an export needs no mapping. Every
mapped column is checked against the table's schema before anything runs: a missing column
or one of the wrong type is a ``ConfigError`` naming the column, the field and what it takes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from headway.conditions.typed import KINDS, NO_TYPED, TypedColumns
from headway.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql.types import DataType

Format = Literal["parquet", "delta", "table"]
_M = TypeVar("_M", "ActivityColumns", "ContactColumns")
FORMATS: tuple[str, ...] = ("parquet", "delta", "table")
# The tables of the email registry ``headway export`` writes beside ``activities/``.
REGISTRY: tuple[str, ...] = ("emails", "email_links")
# What ``headway export`` writes beside its tables (``store/table_export.py``).
MANIFEST = "_headway_export.json"


@dataclass(frozen=True)
class ActivityColumns:
    """The activity table's column for each field (None: the field is absent)."""

    contact: str = "contact"
    type: str = "type"
    ts: str = "ts"
    properties: str | None = "properties"
    id: str | None = "id"
    # Headway's dense integer key of the contact: used as the key when the table has it.
    contact_key: str | None = "contact_key"
    source: str | None = "source"
    bot: str | None = "bot"


@dataclass(frozen=True)
class ContactColumns:
    """The contacts table's column for each field."""

    id: str = "id"
    key: str | None = "key"
    attributes: str | None = "attributes"


# Fields that may be absent from a table even when the mapping names them (the defaults of
# optional fields): a mapping the user gives explicitly must exist.
_OPTIONAL_ACTIVITY = ("properties", "id", "contact_key", "source", "bot")
_REQUIRED = {"columns": ("contact", "type", "ts"), "contacts": ("id",)}


@dataclass(frozen=True)
class ExportLayout:
    """A ``headway export`` Parquet table whose files are still the ones its manifest lists:
    what the manifest says may be used instead of scanning the data."""

    types: tuple[str, ...]  # the activity type names present, sorted
    buckets: int  # every row of a contact is in the one file of bucket contact_key % buckets
    largest: int  # the largest activity file, in bytes
    total: int  # all activity files, in bytes
    # The typed property columns the files carry (store/property_columns.py): conditions read
    # them instead of parsing ``properties`` (conditions/typed.py).
    typed: TypedColumns = NO_TYPED


@dataclass(frozen=True)
class Source:
    """An activity table (and optionally a contacts table) with their column mappings."""

    location: str
    format: Format = "parquet"
    columns: ActivityColumns = ActivityColumns()
    contacts: str | None = None
    contact_columns: ContactColumns = ContactColumns()
    explicit: frozenset[str] = frozenset()  # activity fields the user mapped by name
    # Relations an export carries beside the log (the email registry): (name, location).
    registry: tuple[tuple[str, str], ...] = ()
    # Set when the source is an unchanged ``headway export`` read with the default mapping.
    layout: ExportLayout | None = None

    @classmethod
    def of(
        cls,
        location: str | Path,
        format: str | None = None,
        columns: Mapping[str, str | None] | None = None,
        contacts: str | Path | None = None,
        contact_columns: Mapping[str, str | None] | None = None,
    ) -> Source:
        """A source from user input: the format guessed when not given, mappings checked."""
        text = str(location)
        chosen = _format(text, format)
        activities, found_contacts = _layout(text, chosen)
        mapping = dict(columns or {})
        return cls(
            location=activities,
            format=chosen,
            columns=_mapping(ActivityColumns, mapping, "columns"),
            contacts=str(contacts) if contacts is not None else found_contacts,
            contact_columns=_mapping(ContactColumns, dict(contact_columns or {}), "contacts"),
            explicit=frozenset(k for k, v in mapping.items() if v),
            registry=_registry(text, chosen),
            layout=None if mapping else export_layout(text, chosen),
        )


def read_table(spark: SparkSession, location: str, format: Format) -> DataFrame:
    """The table at ``location`` (a path, or a catalog name when ``format`` is ``table``)."""
    from pyspark.errors import AnalysisException

    try:
        if format == "table":
            return spark.read.table(location)
        return spark.read.format(format).load(location)
    except AnalysisException as exc:
        what = "table" if format == "table" else f"{format} table at"
        raise ConfigError(f"cannot read the {what} {location}: {_first_line(exc)}") from None
    except Exception as exc:  # py4j errors of a missing Delta package and the like
        raise ConfigError(
            f"cannot read the {format} table {location}: {_first_line(exc)}"
        ) from None


def activity_columns(df: DataFrame, source: Source) -> dict[str, Column | None]:
    """The activity fields as Spark columns, checked and normalised (None: absent)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import (
        ArrayType,
        BooleanType,
        IntegralType,
        MapType,
        StringType,
        StructType,
        TimestampNTZType,
        TimestampType,
    )

    types = {f.name: f.dataType for f in df.schema.fields}
    where = f"activity table {source.location}"

    def pick(field: str, required: bool) -> str | None:
        name = getattr(source.columns, field)
        if name is None:
            return None
        if name not in types:
            if required or field in source.explicit or field not in _OPTIONAL_ACTIVITY:
                raise ConfigError(_missing(name, field, where, types))
            return None
        return str(name)

    def check(field: str, name: str, ok: tuple[type, ...], takes: str) -> None:
        if not isinstance(types[name], ok):
            raise ConfigError(
                f"column {name!r} (field {field!r}) of the {where} is "
                f"{types[name].simpleString()}; it must be {takes}"
            )

    out: dict[str, Column | None] = {}
    contact = pick("contact", True)
    assert contact is not None
    check("contact", contact, (StringType, IntegralType), "text or an integer")
    out["contact"] = F.col(contact).cast("string")
    type_ = pick("type", True)
    assert type_ is not None
    check("type", type_, (StringType,), "text (the activity type's name)")
    out["type"] = F.col(type_)
    ts = pick("ts", True)
    assert ts is not None
    check("ts", ts, (TimestampType, TimestampNTZType), "a timestamp (UTC)")
    out["ts"] = F.col(ts).cast("timestamp")
    props = pick("properties", False)
    if props is None:
        out["properties"] = None
    else:
        check(
            "properties",
            props,
            (StringType, StructType, MapType, ArrayType),
            "JSON text, a struct or a map",
        )
        is_text = isinstance(types[props], StringType)
        out["properties"] = F.col(props) if is_text else F.to_json(F.col(props))
    key = pick("contact_key", False)
    if key is not None:
        check("contact_key", key, (IntegralType,), "an integer (Headway's contact key)")
    out["contact_key"] = F.col(key).cast("bigint") if key is not None else None
    for field in ("id", "source"):
        name = pick(field, False)
        if name is not None:
            check(field, name, (StringType, IntegralType), "text")
        out[field] = F.col(name).cast("string") if name is not None else None
    bot = pick("bot", False)
    if bot is not None:
        check("bot", bot, (BooleanType,), "a boolean")
    out["bot"] = F.col(bot) if bot is not None else None
    return out


def contact_columns(df: DataFrame, source: Source) -> dict[str, Column | None]:
    """The contacts table's fields as Spark columns, checked (None: absent)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import IntegralType, MapType, StringType, StructType

    types: dict[str, DataType] = {f.name: f.dataType for f in df.schema.fields}
    where = f"contacts table {source.contacts}"
    cols = source.contact_columns
    if cols.id not in types:
        raise ConfigError(_missing(cols.id, "id", where, types))
    if not isinstance(types[cols.id], StringType | IntegralType):
        raise ConfigError(
            f"column {cols.id!r} (field 'id') of the {where} is "
            f"{types[cols.id].simpleString()}; it must be text or an integer"
        )
    out: dict[str, Column | None] = {"id": F.col(cols.id).cast("string")}
    key = cols.key if cols.key in types else None
    if key is not None and not isinstance(types[key], IntegralType):
        raise ConfigError(
            f"column {key!r} (field 'key') of the {where} is {types[key].simpleString()}; "
            "it must be an integer (Headway's contact key)"
        )
    out["key"] = F.col(key).cast("bigint") if key is not None else None
    attrs = cols.attributes if cols.attributes in types else None
    if attrs is None:
        out["attributes"] = None
    elif isinstance(types[attrs], StringType):
        out["attributes"] = F.col(attrs)
    elif isinstance(types[attrs], StructType | MapType):
        out["attributes"] = F.to_json(F.col(attrs))
    else:
        raise ConfigError(
            f"column {attrs!r} (field 'attributes') of the {where} is "
            f"{types[attrs].simpleString()}; it must be JSON text, a struct or a map"
        )
    return out


def _format(location: str, format: str | None) -> Format:
    if format is not None:
        if format not in FORMATS:
            raise ConfigError(f"source format {format!r} is not one of {', '.join(FORMATS)}")
        return format  # type: ignore[return-value]
    path = Path(location)
    if not path.exists() and "://" not in location:
        if "/" in location or location.endswith(".parquet"):
            raise ConfigError(f"source {location} does not exist")
        return "table"  # a catalog name such as db.activities
    if (path / "_delta_log").is_dir() or (path / "activities" / "_delta_log").is_dir():
        return "delta"
    return "parquet"


def _layout(location: str, format: Format) -> tuple[str, str | None]:
    """An export directory holds ``activities/`` and ``contacts/``; else the path is the table."""
    if format == "table":
        return location, None
    root = Path(location)
    if (root / "activities").is_dir():
        contacts = root / "contacts"
        return str(root / "activities"), str(contacts) if contacts.is_dir() else None
    return location, None


def _registry(location: str, format: Format) -> tuple[tuple[str, str], ...]:
    """The email registry of an export directory (``emails/`` and ``email_links/``), if any."""
    root = Path(location)
    if format == "table" or not (root / "activities").is_dir():
        return ()
    found = tuple((name, str(root / name)) for name in REGISTRY if (root / name).is_dir())
    return found if len(found) == len(REGISTRY) else ()


def export_layout(location: str, format: Format) -> ExportLayout | None:
    """The layout of a ``headway export`` Parquet directory at ``location``, when its manifest
    lists the types and files and the activity data files are exactly those (same paths and
    sizes, one per bucket); None otherwise (then nothing is taken from the manifest)."""
    root = Path(location)
    if format != "parquet" or "://" in location:
        return None
    try:
        manifest = json.loads((root / MANIFEST).read_text())
        types, files, buckets = manifest["types"], manifest["files"], int(manifest["buckets"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(types, list) or not isinstance(files, dict) or not files:
        return None
    activities = root / "activities"
    present: dict[str, int] = {}
    for directory, dirs, names in os.walk(activities):
        # Spark skips names starting with "_" or "." (metadata, hidden files) as data files.
        dirs[:] = [d for d in dirs if not d.startswith(("_", "."))]
        for name in names:
            if not name.startswith(("_", ".")):
                path = Path(directory, name)
                present[path.relative_to(activities).as_posix()] = path.stat().st_size
    expected = {f"bucket={b}" for b in range(buckets)}
    per_bucket = [name.split("/", 1)[0] for name in present]
    if (
        present != files
        or len(per_bucket) != len(set(per_bucket))
        or not set(per_bucket) <= expected
    ):
        return None
    return ExportLayout(
        tuple(sorted(str(t) for t in types)),
        buckets,
        max(present.values()),
        sum(present.values()),
        _typed(manifest.get("typed")),
    )


def _typed(listed: object) -> TypedColumns:
    """The manifest's ``typed`` list (keys, kind, column) as ``TypedColumns``; none when the
    list is absent (an export from before typed columns) or not in that shape."""
    if not isinstance(listed, list):
        return NO_TYPED
    columns: dict[tuple[tuple[str, ...], str], str] = {}
    for item in listed:
        try:
            keys, kind, column = item["keys"], item["kind"], item["column"]
        except (TypeError, KeyError):
            return NO_TYPED
        ok = isinstance(keys, list) and all(isinstance(k, str) for k in keys) and keys
        if not ok or kind not in KINDS or not isinstance(column, str):
            return NO_TYPED
        columns[(tuple(keys), kind)] = column
    return TypedColumns(columns) if columns else NO_TYPED


def _mapping(cls: type[_M], given: dict[str, str | None], what: str) -> _M:
    known = [f.name for f in fields(cls)]
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ConfigError(
            f"unknown field {unknown[0]!r} in the {what} mapping; the fields are "
            + ", ".join(known)
        )
    for field, name in list(given.items()):
        if name is not None and not isinstance(name, str):
            raise ConfigError(f"the {what} mapping of {field!r} must be a column name")
        if name == "":  # TOML has no null: "" leaves an optional field out
            given[field] = None
    for field in _REQUIRED.get(what, ()):
        if field in given and given[field] is None:
            raise ConfigError(f"the {what} mapping must name a column for {field!r}")
    return replace(cls(), **given)  # type: ignore[arg-type]


def _missing(name: str, field: str, where: str, types: Mapping[str, object]) -> str:
    have = ", ".join(sorted(types)) or "none"
    return f"the {where} has no column {name!r} (field {field!r}); its columns: {have}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
