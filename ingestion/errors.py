"""Errors raised by ingestion.

`IngestionError` is for problems the person running ingestion can act on (a missing inbox, an
unknown source name). Bad *data* never raises: it is quarantined with a reason and counted.
"""

from __future__ import annotations


class IngestionError(Exception):
    """A problem with how ingestion was called or configured, with a message saying what to do."""


class FileRejected(Exception):
    """Raised by a parser when a whole file must be quarantined (e.g. `unreadable_file`).

    Whatever the parser yielded before is discarded: the records before the damage are not
    trusted.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
