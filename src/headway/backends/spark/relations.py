"""The engine's two relations over a Spark source: ``activity_log`` and ``contacts``.

``activity_log`` (``id``, ``contact_key`` BIGINT, ``type_code`` INT, ``ts`` TIMESTAMP,
``properties`` JSON text, ``source``, ``bot``) and ``contacts`` (``key``, ``id``,
``attributes`` JSON text) are temporary views (``activity_log`` also carries an unchanged
export's typed property columns), so the engine's query trees run on Spark as they
do on DuckDB. Activity types get codes from a dictionary of the distinct type names (sorted,
from 1), computed once per source. A contact's key is the table's integer key column when the
mapping has one (``headway export`` writes Headway's own keys), otherwise a 63-bit hash
(``xxhash64``, sign bit cleared) of its id; hashed keys are checked once for two ids sharing a
key, which would merge two contacts: that is an error, never a silent merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from headway.backends.spark.delta import read_source_table
from headway.backends.spark.source import Source, activity_columns, contact_columns
from headway.conditions.typed import NO_TYPED, TypedColumns
from headway.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

# 63 bits of xxhash64 (keys are non-negative, as the matcher takes them); a test narrows it to
# force collisions through the guard.
KEY_BITS = 63


@dataclass
class Relations:
    """A source's activity and contact DataFrames in the engine's shape."""

    spark: SparkSession
    source: Source
    key_bits: int = KEY_BITS

    @cached_property
    def _raw(self) -> DataFrame:
        return read_source_table(self.spark, self.source.location, self.source.format)

    @cached_property
    def _columns(self) -> dict[str, Column | None]:
        return activity_columns(self._raw, self.source)

    @cached_property
    def _contacts_raw(self) -> DataFrame | None:
        if self.source.contacts is None:
            return None
        fmt = self.source.format
        return read_source_table(self.spark, self.source.contacts, fmt)

    @property
    def hashed(self) -> bool:
        """Whether contact keys are hashes of the ids (no key column in the mapping)."""
        return self._columns["contact_key"] is None

    @cached_property
    def type_codes(self) -> dict[str, int]:
        """Activity type name -> code: the distinct names sorted, numbered from 1 (from an
        unchanged export's manifest when there is one, else a distinct scan of the table)."""
        from pyspark.sql import functions as F

        if self.source.layout is not None:
            return {name: code for code, name in enumerate(self.source.layout.types, start=1)}
        type_ = self._columns["type"]
        assert type_ is not None
        rows = self._raw.select(type_.alias("t")).where(F.col("t").isNotNull()).distinct()
        names = sorted(str(r["t"]) for r in rows.collect())
        return {name: code for code, name in enumerate(names, start=1)}

    def _key(self, contact: Column) -> Column:
        from pyspark.sql import functions as F

        return F.xxhash64(contact).bitwiseAND(F.lit((1 << min(self.key_bits, 63)) - 1))

    @cached_property
    def activity_log(self) -> DataFrame:
        """``activity_log``: the activities with contact keys and type codes."""
        from pyspark.sql import functions as F

        cols = self._columns
        if self.hashed:
            self.check_keys()
        codes = self.type_codes
        lookup = F.create_map(*[F.lit(x) for kv in codes.items() for x in kv])
        contact = cols["contact"]
        assert contact is not None
        key = cols["contact_key"] if cols["contact_key"] is not None else self._key(contact)

        def or_null(name: str, type_: str) -> Column:
            col = cols[name]
            return col if col is not None else F.lit(None).cast(type_)

        # Rows without a contact or a time belong to no one's journey (the store refuses them).
        rows = self._raw.where(contact.isNotNull() & cols["ts"].isNotNull())  # type: ignore[union-attr]
        return rows.select(
            or_null("id", "string").alias("id"),
            key.alias("contact_key"),
            lookup[cols["type"]].cast("int").alias("type_code"),
            or_null("ts", "timestamp").alias("ts"),
            or_null("properties", "string").alias("properties"),
            or_null("source", "string").alias("source"),
            F.coalesce(or_null("bot", "boolean"), F.lit(False)).alias("bot"),
            *[F.col(f"`{name}`") for name in self.typed.columns.values()],
        )

    @property
    def typed(self) -> TypedColumns:
        """The typed property columns ``activity_log`` carries (an unchanged export's)."""
        return self.source.layout.typed if self.source.layout is not None else NO_TYPED

    @cached_property
    def contacts(self) -> DataFrame:
        """``contacts``: the contacts table's rows, or the activities' distinct contacts."""
        from pyspark.sql import functions as F

        raw = self._contacts_raw
        if raw is None:
            contact = self._columns["contact"]
            assert contact is not None
            ids = self._raw.select(contact.alias("id")).where(F.col("id").isNotNull())
            if self.hashed:
                self.check_keys()
                pairs = ids.distinct().select(self._key(F.col("id")).alias("key"), "id")
            else:
                key = self._columns["contact_key"]
                assert key is not None
                pairs = self._raw.select(key.alias("key"), contact.alias("id")).distinct()
            return pairs.select("key", "id", F.lit(None).cast("string").alias("attributes"))
        cols = contact_columns(raw, self.source)
        id_ = cols["id"]
        assert id_ is not None
        if cols["key"] is not None:
            key = cols["key"]
        elif self.hashed:
            self.check_keys()
            key = self._key(id_)
        else:
            raise ConfigError(
                f"the contacts table {self.source.contacts} has no key column "
                f"{self.source.contact_columns.key!r}, but the activity table's contact keys "
                "come from its key column: map the contacts table's key as well"
            )
        attrs = cols["attributes"]
        return raw.select(
            key.alias("key"),
            id_.alias("id"),
            (attrs if attrs is not None else F.lit(None).cast("string")).alias("attributes"),
        )

    def check_keys(self) -> None:
        """Fail when two contact ids hash to one key (checked once per source)."""
        if getattr(self, "_keys_checked", False):
            return
        from pyspark.sql import functions as F

        contact = self._columns["contact"]
        assert contact is not None
        ids = self._raw.select(contact.alias("id"))
        if self._contacts_raw is not None:
            cid = contact_columns(self._contacts_raw, self.source)["id"]
            assert cid is not None
            ids = ids.unionByName(self._contacts_raw.select(cid.alias("id")))
        clash = (
            ids.where(F.col("id").isNotNull())
            .distinct()
            .groupBy(self._key(F.col("id")).alias("key"))
            .agg(F.count("*").alias("n"), F.min("id").alias("a"), F.max("id").alias("b"))
            .where(F.col("n") > 1)
            .limit(1)
            .collect()
        )
        if clash:
            row = clash[0]
            raise ConfigError(
                f"contact ids {row['a']!r} and {row['b']!r} hash to the same contact key "
                f"({row['key']}); map the table's integer contact key column "
                "(columns={'contact_key': ...}) so every contact keeps its own key"
            )
        self._keys_checked = True
