"""Whole contacts per scan partition: the kernel on a ``headway export`` without a shuffle.

Every row of a contact is in the one Parquet file of its bucket (``contact_key % buckets``;
``source.ExportLayout`` checks the files are still the ones the export wrote). So when Spark
reads every file whole — never one file split over two partitions — each scan partition
holds whole contacts, and ``mapInArrow`` can run the kernel straight on the scan's
partitions: no repartition by contact, no shuffle write and read of the candidate rows.

That is not left to a guess about Spark's file packing. The read settings ask for whole
files (``file_conf``: a split size at least the largest file, one partition minimum), and
before anything runs ``whole_contact_partitions`` checks the physical plan that will run:
only projections and filters between the kernel and one Parquet scan, the contact column the
scan's own ``contact_key``, and every file of every scan partition read from its first byte
to its last. If any of that fails, the caller repartitions by contact as for any source.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from headway.backends.spark.source import ExportLayout

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

# Physical operators that keep each row in its scan partition and add no rows.
_ROW_WISE = frozenset(
    {
        "WholeStageCodegenExec",
        "InputAdapter",
        "ProjectExec",
        "FilterExec",
        "ColumnarToRowExec",
    }
)
_KERNEL = frozenset({"MapInArrowExec", "PythonMapInArrowExec"})
# Scan partitions per core the kernel's job aims at: small enough that both the JVM's scan
# and the Python workers' kernel stay busy to the end, large enough to pay a task's start.
_PER_CORE = 3


def file_conf(layout: ExportLayout, cores: int) -> dict[str, str]:
    """Read settings under which Spark splits no file of ``layout`` (it packs whole files
    into about ``_PER_CORE`` partitions per core): the split size is the smaller of
    ``maxPartitionBytes`` and the data per ``minPartitionNum`` partition, so with one
    partition minimum and ``maxPartitionBytes`` at least the largest file, none is split."""
    share = layout.total // max(1, _PER_CORE * cores)
    return {
        "spark.sql.files.maxPartitionBytes": str(max(layout.largest, share)),
        "spark.sql.files.minPartitionNum": "1",
    }


def whole_contact_partitions(mapped: DataFrame, contact: str, location: str) -> bool:
    """Whether the physical plan of ``mapped`` (a ``mapInArrow`` over a query) runs the
    kernel on partitions of one Parquet scan of ``location`` that each read whole files,
    with ``contact`` the scan's ``contact_key`` column: then each partition holds whole
    contacts."""
    try:
        plan = mapped._jdf.queryExecution().executedPlan()
    except Exception:  # Spark Connect: no JVM handle, nothing to prove it with
        return False
    if _name(plan) not in _KERNEL:
        return False
    node = plan.child()
    projections: list[Any] = []
    while _name(node) in _ROW_WISE:
        if _name(node) == "ProjectExec":
            projections.append(node)
        children = node.children()
        if children.size() != 1:
            return False
        node = children.apply(0)
    if _name(node) != "FileSourceScanExec" or node.relation().fileFormat().toString() != "Parquet":
        return False
    if not projections or not _is_scan_key(projections[0], contact):
        return False
    roots = node.relation().location().rootPaths()
    if roots.size() != 1 or not _same_path(str(roots.apply(0).toUri().getPath()), location):
        return False
    return _files_whole(node.inputRDD().partitions())


def _same_path(scanned: str, location: str) -> bool:
    return Path(scanned).resolve() == Path(location).resolve()


def _name(node: Any) -> str:
    return str(node.getClass().getSimpleName())


def _is_scan_key(project: Any, contact: str) -> bool:
    """The outermost projection's ``contact`` column is the ``contact_key`` column it reads
    (through aliases and casts: the export's key is already BIGINT)."""
    columns = project.projectList()
    for i in range(columns.size()):
        expr = columns.apply(i)
        if str(expr.name()) != contact:
            continue
        while _name(expr) in ("Alias", "Cast"):
            expr = expr.child()
        return _name(expr) == "AttributeReference" and str(expr.name()) == "contact_key"
    return False


def _files_whole(partitions: Any) -> bool:
    """Every file of every partition read from byte 0 to its end (none split)."""
    for partition in partitions:
        for file in partition.files():
            if int(file.start()) != 0 or int(file.length()) != int(file.fileSize()):
                return False
    return True
