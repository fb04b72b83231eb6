"""The reference mock server and its catalogue of Faults."""

from . import faults as _faults  # noqa: F401,E402  (registers the catalogue)
from ._fault import FAULTS, Fault
from ._reply import Reply, Request
from ._server import DEFAULT_TOKEN, MockServer

__all__ = ["DEFAULT_TOKEN", "FAULTS", "Fault", "MockServer", "Reply", "Request"]
