"""Exceptions: one class per libretain status code, under :class:`retain.Error`."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Type

__all__ = [
    "Diagnostic",
    "Error", "InvalidArgument", "NotFound", "Conflict", "ConstraintError", "OutOfMemory",
    "DatabaseIOError", "DiskFull", "Busy", "ParseError", "LimitExceeded", "Unsupported",
    "InternalError", "UserAbort", "Misuse", "EngineClosed",
]


class Error(Exception):
    """Base class of every error libretain reports.

    Attributes:
        code: the libretain status code (a negative ``RETAIN_E*`` value).
        message: the engine's sentence about what went wrong.
        line, column: where, for parse errors (1-based), or the input row for
            model errors (``line``); ``None`` when not known.
        snippet: the offending source line with a caret, when known, else "".
    """

    code: int = 0
    line: Optional[int] = None
    column: Optional[int] = None
    snippet: str = ""

    def __init__(self, message: str = "", *, code: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidArgument(Error, ValueError):
    """An argument is invalid (RETAIN_EINVAL); the message names it. Also a ValueError."""

    code = -1


class NotFound(Error, LookupError):
    """The named object does not exist (RETAIN_ENOTFOUND). Also a LookupError."""

    code = -2


class Conflict(Error):
    """It exists already, or conflicts with what exists (RETAIN_ECONFLICT)."""

    code = -3


class ConstraintError(Error):
    """The change would break a rule of the data model (RETAIN_ECONSTRAINT)."""

    code = -4


class OutOfMemory(Error, MemoryError):
    """An allocation failed; nothing was changed (RETAIN_ENOMEM). Also a MemoryError."""

    code = -5


class DatabaseIOError(Error, OSError):
    """The database file could not be read or written (RETAIN_EIO). Also an OSError."""

    code = -6


class DiskFull(DatabaseIOError):
    """The disk (or a quota) is full (RETAIN_EFULL); nothing was changed. A :class:`DatabaseIOError`."""

    code = -14


class Busy(Error):
    """Another connection held a lock past the busy timeout (RETAIN_EBUSY)."""

    code = -7


class Diagnostic(NamedTuple):
    """One error found in YAML or rule source: where it is and what is wrong."""

    line: int  #: 1-based; 0 when not known
    column: int  #: 1-based, in characters; 0 when not known
    message: str
    snippet: str = ""  #: the source line with a caret under the column, when known


class ParseError(Error):
    """YAML or rule source is malformed (RETAIN_EPARSE); see ``line``, ``column``, ``snippet``.

    ``line``, ``column`` and ``message`` describe the first error;
    ``diagnostics`` lists every error found (a journey file is checked
    completely before it is refused).
    """

    code = -8

    def __init__(self, message: str = "", *, code: Optional[int] = None) -> None:
        super().__init__(message, code=code)
        self._diagnostics: List[Diagnostic] = []

    @property
    def diagnostics(self) -> List[Diagnostic]:
        """Every error found, as :class:`Diagnostic` (at least the first one)."""
        if not self._diagnostics:
            return [Diagnostic(self.line or 0, self.column or 0, self.message, self.snippet)]
        return self._diagnostics

    @diagnostics.setter
    def diagnostics(self, items: Iterable[Any]) -> None:
        self._diagnostics = [d if isinstance(d, Diagnostic) else Diagnostic(*d) for d in items]


class LimitExceeded(Error):
    """A configured limit was exceeded (RETAIN_ELIMIT)."""

    code = -9


class Unsupported(Error):
    """Not supported by this build or this database (RETAIN_EUNSUPPORTED)."""

    code = -10


class InternalError(Error):
    """A bug in libretain (RETAIN_EINTERNAL): please report it."""

    code = -11


class UserAbort(Error):
    """A host callback asked to stop (RETAIN_EUSER)."""

    code = -12


class Misuse(Error):
    """The API was called in the wrong state (RETAIN_EMISUSE), e.g. commit without begin."""

    code = -13


class EngineClosed(Misuse):
    """The engine (or the iterator's engine) was closed. A :class:`Misuse`."""


_BY_CODE: Dict[int, Type[Error]] = {
    cls.code: cls
    for cls in (InvalidArgument, NotFound, Conflict, ConstraintError, OutOfMemory,
                DatabaseIOError, DiskFull, Busy, ParseError, LimitExceeded, Unsupported,
                InternalError, UserAbort, Misuse)
}


def _make(code: int, message: str, line: int = 0, column: int = 0, snippet: str = "") -> Error:
    """Build the exception for a status code (called by the extension module)."""
    cls = _BY_CODE.get(code)
    exc = cls(message) if cls is not None else Error(message, code=code)
    if line > 0:
        exc.line = line
    if column > 0:
        exc.column = column
    if snippet:
        exc.snippet = snippet
    return exc
