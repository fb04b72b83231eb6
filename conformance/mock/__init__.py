"""The reference mock server, its catalogue of Faults and its catalogue of conformant Variants."""

from . import faults as _faults  # noqa: F401,E402  (registers the fault catalogue)
from . import variants as _variants  # noqa: F401,E402  (registers the variant catalogue)
from ._behaviour import Stage
from ._fault import FAULTS, Fault
from ._framing import Framing
from ._reply import Reply, Request, error_reply
from ._server import DEFAULT_TOKEN, MockServer
from ._variant import VARIANTS, Variant

__all__ = [
    "DEFAULT_TOKEN",
    "FAULTS",
    "VARIANTS",
    "Fault",
    "MockServer",
    "Reply",
    "Request",
    "Stage",
    "Variant",
    "Framing",
    "error_reply",
]
