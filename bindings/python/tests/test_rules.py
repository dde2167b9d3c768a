"""retain.rules: compiling and evaluating rules through an engine."""
import gc
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

import retain
from retain import rules
from retain.rules import Amount, Type

if not rules.AVAILABLE:
    pytest.skip("this build has no rule language (retain/rule.h not implemented yet)",
                allow_module_level=True)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


def test_compile_and_test_a_condition(engine):
    r = engine.compile_rule("order.total >= 50.00 and customer.orders_count == 1",
                            condition=True)
    assert isinstance(r, rules.Rule)
    assert r.source == "order.total >= 50.00 and customer.orders_count == 1"
    assert r.type is Type.BOOL
    assert [f.name for f in r.fields] == ["order.total", "customer.orders_count"]
    assert r.fields[0].type is Type.MONEY and r.fields[0].fixed
    assert r.test({"order.total": Amount(Decimal("64.00"), "EUR"),
                   "customer.orders_count": 1})
    assert not r.test({"order.total": Amount(Decimal("49.99"), "EUR"),
                       "customer.orders_count": 1})
    assert r.evaluate({"order.total": Amount(Decimal("64.00"), "EUR"),
                       "customer.orders_count": 1}) is True
    assert not r.test()  # unbound names are null: null-safe, not true
    assert not r.needs_now and not r.needs_timezone


@pytest.mark.parametrize("src, values, expected", [
    ("1 + 2", {}, 3),
    ("2.5 * 2", {}, 5.0),
    ('lower("AbC")', {}, "abc"),
    ('order.channel in ["web", "pos"]', {"order.channel": "pos"}, True),
    ('customer.email =~ "@example\\\\.com$"', {"customer.email": "ann@example.com"}, True),
    ("order.placed_at", {"order.placed_at": NOW}, NOW),
    ("order.skus", {"order.skus": ["A", "B"]}, ["A", "B"]),
    ("customer.p_alive < 0.3", {"customer.p_alive": 0.2}, True),
])
def test_values_round_trip(engine, src, values, expected):
    r = engine.compile_rule(src)
    got = r.evaluate(values)
    assert got == expected
    assert type(got) is type(expected)


def test_money_results(engine):
    r = engine.compile_rule("order.total")
    got = r.evaluate({"order.total": Amount(Decimal("19.99"), "USD")})
    assert got == Amount(Decimal("19.99"), "USD")


def test_time_functions_need_now(engine):
    r = engine.compile_rule("days_since(shipment.promised_at) > 2", condition=True)
    assert r.needs_now
    promised = NOW - timedelta(days=3)
    assert r.test({"shipment.promised_at": promised}, now=NOW)
    assert not r.test({"shipment.promised_at": promised}, now=NOW - timedelta(days=2))


def test_declared_vars(engine):
    r = engine.compile_rule("order.total >= vars.min", condition=True,
                            vars={"vars.min": "money"})
    assert r.test({"order.total": Amount(Decimal("10"), "EUR"),
                   "vars.min": Amount(Decimal("5"), "EUR")})
    with pytest.raises(retain.ParseError):
        engine.compile_rule("vars.undeclared > 1")


def test_parse_errors_have_a_position(engine):
    with pytest.raises(retain.ParseError) as info:
        engine.compile_rule("order.total >=\n  customer.emial", line=12, column=7)
    e = info.value
    assert e.code == retain._retain.EPARSE
    assert e.line is not None and e.line >= 12
    assert e.column is not None and e.column >= 1
    assert "emial" in e.message
    with pytest.raises(retain.ParseError):
        engine.compile_rule("1 +")
    with pytest.raises(retain.ParseError):
        engine.compile_rule('"text" + 1', condition=True)


def test_bind_errors(engine):
    r = engine.compile_rule("order.total > 1.00", condition=True)
    with pytest.raises(retain.InvalidArgument):
        r.test({"order.total": "not money"})
    with pytest.raises(TypeError, match="currency"):
        r.test({"order.total": Decimal("2")})
    with pytest.raises(TypeError):
        r.test({"order.total": object()})


def test_rules_belong_to_their_engine(now):
    e = retain.Engine()
    r = e.compile_rule("1 == 1", condition=True)
    assert r.test()
    e.close()
    assert r.closed
    with pytest.raises(retain.EngineClosed):
        r.test()
    r.close()  # harmless


def test_close_and_context_manager(engine):
    with engine.compile_rule("true") as r:
        assert r.evaluate() is True
    assert r.closed
    with pytest.raises(retain.Misuse):
        r.evaluate()


def test_fixed_fields_table():
    f = rules.fields()
    assert f["order.total"].type is Type.MONEY
    assert f["order.skus"].type is Type.LIST and f["order.skus"].elem is Type.STRING
    assert rules.Type.parse("money") is Type.MONEY


def test_every_value_type_binds_and_comes_back(engine):
    values = {
        "vars.b": True, "vars.i": 42, "vars.f": 2.5, "vars.s": "zoë",
        "vars.m": Amount(Decimal("19.99"), "USD"), "vars.t": NOW,
        "vars.d": timedelta(minutes=90), "vars.l": ["a", "b"],
    }
    types = {"vars.b": "bool", "vars.i": "int", "vars.f": "float", "vars.s": "string",
             "vars.m": "money", "vars.t": "time", "vars.d": "duration",
             "vars.l": ("list", "string")}
    for name, value in values.items():
        r = engine.compile_rule(name, vars={name: types[name]})
        got = r.evaluate({name: value})
        assert got == value and type(got) is type(value), name


def test_evaluation_does_not_leak(engine):
    import tracemalloc
    r = engine.compile_rule("order.skus", vars=None)
    # Warm up while tracing: CPython's free lists (tuples ...) fill with blocks traced at
    # the line that first allocated them, which depends on what ran before this test.
    tracemalloc.start()
    for _ in range(2000):
        r.evaluate({"order.skus": ["A", "B"]}, now=NOW, timezone="Europe/Berlin")
    gc.collect()
    s0 = tracemalloc.take_snapshot()
    for _ in range(20000):
        r.evaluate({"order.skus": ["A", "B"]}, now=NOW, timezone="Europe/Berlin")
    gc.collect()
    s1 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    assert sum(d.size_diff for d in s1.compare_to(s0, "filename")) < 32 * 1024
