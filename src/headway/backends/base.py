"""What the engine needs from a backend: run a query tree, read the dictionaries."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pyarrow as pa

from headway.backends.query import Query
from headway.model.dialect import Dialect


class Backend(Protocol):
    """Executes the engine's query trees on some storage."""

    @property
    def dialect(self) -> Dialect:
        """How this engine checks condition values at save time (its regex dialect, ...)."""
        ...

    def arrow(self, query: Query) -> pa.Table:
        """Run a query; an Arrow table."""
        ...

    def arrow_batches(self, query: Query) -> pa.RecordBatchReader:
        """Run a query; its rows as a stream of Arrow record batches."""
        ...

    def type_codes(self) -> dict[str, int]:
        """The activity-type dictionary: name -> code."""
        ...

    def contact_ids(self, keys: np.ndarray) -> np.ndarray:
        """External contact ids of dense keys (same order)."""
        ...

    def contact_attributes(self, keys: np.ndarray, attribute: str) -> np.ndarray:
        """One contact attribute (text or None) per dense key (same order)."""
        ...
