"""The exception classes: one per status code, their codes, messages and bases."""
import pickle

import pytest

import retain
from retain import _retain

CLASSES = [
    (retain.InvalidArgument, "EINVAL", ValueError),
    (retain.NotFound, "ENOTFOUND", LookupError),
    (retain.Conflict, "ECONFLICT", None),
    (retain.ConstraintError, "ECONSTRAINT", None),
    (retain.OutOfMemory, "ENOMEM", MemoryError),
    (retain.DatabaseIOError, "EIO", OSError),
    (retain.Busy, "EBUSY", None),
    (retain.ParseError, "EPARSE", None),
    (retain.LimitExceeded, "ELIMIT", None),
    (retain.Unsupported, "EUNSUPPORTED", None),
    (retain.InternalError, "EINTERNAL", None),
    (retain.UserAbort, "EUSER", None),
    (retain.Misuse, "EMISUSE", None),
    (retain.DiskFull, "EFULL", OSError),
]


@pytest.mark.parametrize("cls, const, extra", CLASSES)
def test_one_class_per_code(cls, const, extra):
    code = getattr(_retain, const)
    assert cls.code == code
    assert issubclass(cls, retain.Error)
    if extra is not None:
        assert issubclass(cls, extra)
    exc = retain._errors._make(code, "the message", 0, 0, "")
    assert type(exc) is cls
    assert exc.code == code and exc.message == "the message" and str(exc) == "the message"
    assert exc.line is None and exc.column is None
    assert cls.__doc__


def test_every_status_code_has_a_class():
    codes = {getattr(_retain, n) for n in dir(_retain)
             if n.startswith("E") and n[1:].isupper() and isinstance(getattr(_retain, n), int)}
    assert codes == {c.code for c, _, _ in CLASSES}


def test_unknown_code_gives_the_base_class():
    exc = retain._errors._make(-99, "strange", 0, 0, "")
    assert type(exc) is retain.Error and exc.code == -99


def test_parse_error_location():
    exc = retain._errors._make(_retain.EPARSE, 'unknown field "customer.emial"', 3, 14,
                               "customer.emial\n             ^")
    assert isinstance(exc, retain.ParseError)
    assert (exc.line, exc.column) == (3, 14)
    assert exc.message == 'unknown field "customer.emial"'
    assert exc.snippet.endswith("^")


def test_engine_closed_is_misuse():
    assert issubclass(retain.EngineClosed, retain.Misuse)
    assert retain.EngineClosed("x").code == _retain.EMISUSE


def test_errors_pickle():
    exc = retain._errors._make(_retain.ENOTFOUND, "gone", 0, 0, "")
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is retain.NotFound and back.code == -2 and back.message == "gone"


def test_engine_messages_are_sentences(engine, now):
    with pytest.raises(retain.Error) as info:
        engine.customers.get("who")
    assert info.value.message == 'customer "who" does not exist'
    with pytest.raises(retain.Error) as info:
        engine.customers.upsert("c1", email="x", at=now)
    assert "customer.email" in info.value.message


def test_engine_stays_usable_after_errors(engine, now):
    for _ in range(3):
        with pytest.raises(retain.InvalidArgument):
            engine.customers.upsert("c1", email="bad", at=now)
        with pytest.raises(retain.NotFound):
            engine.orders.get("x")
    engine.customers.upsert("c1", at=now)
    assert engine.counts().customers == 1
