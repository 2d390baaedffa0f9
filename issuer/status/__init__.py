"""W3C Bitstring Status List: bitstrings, random index allocation, status list credentials, status checks."""

from issuer.status.allocation import (
    InMemoryStatusStore,
    StatusAllocation,
    StatusListState,
    StatusPurpose,
    StatusStore,
    apply_status,
    parse_purpose,
    pick_free_indexes,
)
from issuer.status.bitstring import MIN_LENGTH, Bitstring
from issuer.status.credential import (
    DEFAULT_TTL_MS,
    BitstringStatusChecker,
    StatusResult,
    status_list_credential,
)

__all__ = [
    "DEFAULT_TTL_MS",
    "MIN_LENGTH",
    "Bitstring",
    "BitstringStatusChecker",
    "InMemoryStatusStore",
    "StatusAllocation",
    "StatusListState",
    "StatusPurpose",
    "StatusResult",
    "StatusStore",
    "apply_status",
    "parse_purpose",
    "pick_free_indexes",
    "status_list_credential",
]
