"""Local emulator of the Gerra Datasets API, with fault injection, for tests and demos.

Start one in-process with `gerra_emulator.testing.EmulatorServer`, or from a
shell with ``gerra-emulator serve --catalog PATH``.
"""

from gerra_emulator.catalog import Catalog, CatalogError, load_catalog
from gerra_emulator.faults import Endpoint, FaultKind, FaultOptions, FaultRule
from gerra_emulator.records import CallCounts, DatasetState
from gerra_emulator.store import Store, TransitionError

__all__ = [
    "CallCounts",
    "Catalog",
    "CatalogError",
    "DatasetState",
    "Endpoint",
    "FaultKind",
    "FaultOptions",
    "FaultRule",
    "Store",
    "TransitionError",
    "load_catalog",
]
