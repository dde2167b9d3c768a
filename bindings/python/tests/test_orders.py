"""Orders (one at a time and in bulk) and shipments."""
from decimal import Decimal

import pytest

import retain
from retain import OrderLine


def record(engine, id="o1", **kw):
    args = dict(customer_id="c1", channel="web", currency="USD", total=Decimal("10.00"))
    args.update(kw)
    engine.orders.record(id, **args)


@pytest.fixture
def cust(engine, now):
    engine.customers.upsert("c1", at=now)
    return engine


def test_record_and_get(shop, now):
    o = shop.orders.get("o1")
    assert isinstance(o, retain.Order)
    assert (o.id, o.customer_id, o.channel, o.currency) == ("o1", "c1", "web", "EUR")
    assert o.total == Decimal("25.00") and o.total_minor == 2500
    assert o.placed_at == now and o.placed_at_ms == retain.to_ms(now)
    assert o.status == "placed" and o.status_at == now
    assert o.lines == (OrderLine("TEA-01", 2, Decimal("12.50"), "Sencha"),)
    assert o.history == (retain.StatusChange("placed", now),)
    assert o.coupon is None and o.attrs == {}


def test_line_forms(cust, now):
    lines = [
        ("A", 1, Decimal("1.50")),
        ("B", "Bee", 2, 250),
        {"sku": "C", "quantity": 3, "unit_price": Decimal("0.10"), "title": "Sea"},
        {"sku": "D"},
        OrderLine("E", 4, Decimal("2")),
    ]
    record(cust, placed_at=now, lines=lines, coupon="WELCOME10", attrs={"gift": True})
    o = cust.orders.get("o1")
    assert [(ln.sku, ln.title, ln.quantity, ln.unit_price) for ln in o.lines] == [
        ("A", None, 1, Decimal("1.50")),
        ("B", "Bee", 2, Decimal("2.50")),
        ("C", "Sea", 3, Decimal("0.10")),
        ("D", None, 1, Decimal("0.00")),
        ("E", None, 4, Decimal("2.00")),
    ]
    assert o.coupon == "WELCOME10" and o.attrs == {"gift": True}


@pytest.mark.parametrize("kw, exc, needle", [
    ({"currency": "XXX"}, retain.InvalidArgument, "ISO 4217"),
    ({"currency": "usd"}, retain.InvalidArgument, "ISO 4217"),
    ({"total": Decimal("1.001")}, retain.InvalidArgument, "decimal places"),
    ({"currency": "JPY", "total": Decimal("1.5")}, retain.InvalidArgument, "decimal places"),
    ({"currency": "XXX", "total": Decimal("1")}, retain.InvalidArgument, "XXX"),
    ({"total": 10.0}, TypeError, "float"),
    ({"total": "10"}, TypeError, "Decimal"),
    ({"total": Decimal("NaN")}, retain.InvalidArgument, "finite"),
    ({"total": Decimal("1e30")}, retain.InvalidArgument, "64-bit"),
    ({"total": -1}, retain.InvalidArgument, "total"),
    ({"status": "lost"}, retain.InvalidArgument, "status"),
    ({"channel": "Web Shop"}, retain.InvalidArgument, "channel"),
    ({"lines": [("A", 0, 1)]}, retain.InvalidArgument, "quantity"),
    ({"lines": [("A", 1, -1)]}, retain.InvalidArgument, "unit_price"),
    ({"lines": [("A", 1, 1.0)]}, TypeError, "float"),
    ({"lines": [("A",)]}, TypeError, "OrderLine"),
    ({"lines": [{"quantity": 1}]}, TypeError, "sku"),
    ({"lines": [("A", 1.5, 1)]}, TypeError, "quantity"),
    ({"attrs": "[]"}, retain.InvalidArgument, "JSON object"),
    ({"customer_id": "nobody"}, retain.NotFound, "nobody"),
])
def test_record_errors(cust, now, kw, exc, needle):
    with pytest.raises(exc, match=needle):
        record(cust, placed_at=now, **kw)
    assert cust.counts().orders == 0


def test_naive_placed_at(cust):
    from datetime import datetime
    with pytest.raises(retain.InvalidArgument, match="placed_at"):
        record(cust, placed_at=datetime(2026, 1, 1))


def test_record_again_updates_in_place(cust, now, later):
    record(cust, placed_at=now, total=1000, lines=[("A", 1, 1000)])
    record(cust, placed_at=now, total=1500, lines=[("A", 1, 1000), ("B", 1, 500)],
           status="paid", status_at=later(hours=1))
    o = cust.orders.get("o1")
    assert o.total_minor == 1500 and len(o.lines) == 2
    assert [h.status for h in o.history] == ["placed", "paid"]
    assert cust.customers.get("c1").revenue_minor == {"USD": 1500}
    assert cust.counts().orders == 1


def test_set_status_and_history(shop, later):
    shop.orders.set_status("o1", "paid", at=later(minutes=5))
    shop.orders.set_status("o1", "paid", at=later(minutes=6))  # repeat: no-op
    shop.orders.set_status("o1", "shipped", at=later(days=1))
    o = shop.orders.get("o1")
    assert o.status == "shipped" and o.status_at == later(days=1)
    assert [(h.status, h.at) for h in o.history] == [
        ("placed", later()), ("paid", later(minutes=5)), ("shipped", later(days=1))]
    names = [e.name for e in shop.events.for_customer("c1")]
    assert names == ["customer.created", "order.placed", "order.paid", "order.shipped"]
    with pytest.raises(retain.NotFound):
        shop.orders.set_status("nope", "paid", at=later())
    with pytest.raises(retain.InvalidArgument):
        shop.orders.set_status("o1", "teleported", at=later())


def test_get_unknown_order(engine):
    with pytest.raises(retain.NotFound, match="nope"):
        engine.orders.get("nope")


def test_for_customer_iterates_by_time(cust, now, later):
    for i, days in enumerate([5, 1, 3]):
        record(cust, id=f"o{i}", placed_at=later(days=days))
    it = cust.orders.for_customer("c1")
    assert iter(it) is it
    assert [o.id for o in it] == ["o1", "o2", "o0"]
    assert list(it) == []  # exhausted
    with cust.orders.for_customer("c1") as it2:
        assert next(it2).id == "o1"
    with pytest.raises(StopIteration):
        next(it2)  # closed early
    with pytest.raises(retain.NotFound):
        cust.orders.for_customer("nobody")
    cust.customers.upsert("c2", at=now)
    assert list(cust.orders.for_customer("c2")) == []


def test_writes_while_iterating(cust, now, later):
    for i in range(5):
        record(cust, id=f"o{i}", placed_at=later(days=i))
    seen = []
    for o in cust.orders.for_customer("c1"):
        seen.append(o.id)
        cust.orders.set_status(o.id, "paid", at=later(days=10))
    assert seen == [f"o{i}" for i in range(5)]
    assert all(o.status == "paid" for o in cust.orders.for_customer("c1"))


def test_record_many(engine, now, later):
    orders = [
        {"id": "a1", "customer_id": "a", "placed_at": now, "currency": "USD", "total": 100},
        {"id": "b1", "customer_id": "b", "placed_at": later(days=1), "currency": "EUR",
         "total": Decimal("2.50"), "lines": [("X", 1, Decimal("2.50"))], "channel": "pos"},
        {"id": "a2", "customer_id": "a", "placed_at": later(days=2), "currency": "USD",
         "total": 300, "status": "paid"},
    ]
    stats = engine.orders.record_many(orders, batch_size=2)
    assert stats == retain.ImportStats(orders=3, customers=2)
    assert engine.customers.get("a").revenue_minor == {"USD": 400}
    assert engine.customers.get("a").created_at == now
    assert engine.orders.get("b1").channel == "pos"
    assert engine.orders.get("a2").status == "paid"
    # copying orders from one engine to another
    with retain.Engine() as other:
        other.orders.record_many(engine.orders.for_customer("a"))
        assert [o.id for o in other.orders.for_customer("a")] == ["a1", "a2"]
        assert other.orders.get("a2").status == "paid"
    assert engine.orders.record_many([]) == (0, 0)


def test_record_many_errors_name_the_row(engine, now):
    good = [{"id": f"o{i}", "customer_id": "c", "placed_at": now, "currency": "USD",
             "total": 1} for i in range(5)]
    bad = dict(good[0], id="bad", currency="XXX")
    with pytest.raises(retain.InvalidArgument, match=r"^orders\[5\]: .*XXX"):
        engine.orders.record_many(good + [bad])
    assert engine.counts().orders == 0  # Python-side check: nothing recorded
    engine.customers.upsert("c", at=now)
    late = dict(good[0], id="late", customer_id="ghost")
    with pytest.raises(retain.NotFound, match=r"^orders\[5\]: .*ghost"):
        engine.orders.record_many(good + [late], create_customers=False, batch_size=2)
    # batches 0-1 and 2-3 were committed; the batch with the failing order was not
    assert engine.counts().orders == 4
    with pytest.raises(retain.NotFound, match=r"^orders\[1002\]: .*ghost"):
        engine.orders.record_many((dict(good[0], id=f"x{i}", customer_id="ghost" if i == 1002
                                        else "c") for i in range(1500)),
                                  create_customers=False)  # a generator, in chunks
    assert engine.counts().orders == 1004
    with pytest.raises(TypeError, match="unknown order keys"):
        engine.orders.record_many([dict(good[0], colour="red")])
    with pytest.raises(TypeError, match="needs 'currency'"):
        engine.orders.record_many([{"id": "x", "customer_id": "c", "placed_at": now,
                                    "total": 1}])
    with pytest.raises(TypeError):
        engine.orders.record_many([("x", "c")])
    with pytest.raises(ValueError, match="batch_size"):
        engine.orders.record_many(good, batch_size=0)


def test_record_many_inside_a_transaction_is_all_or_nothing(engine, now):
    rows = [{"id": f"o{i}", "customer_id": "c" if i < 7 else "ghost", "placed_at": now,
             "currency": "USD", "total": 1} for i in range(8)]
    engine.customers.upsert("c", at=now)
    with pytest.raises(retain.NotFound):
        with engine.transaction():
            engine.orders.record_many(rows, create_customers=False, batch_size=3)
    assert engine.counts().orders == 0


def test_shipments(shop, now, later):
    shop.shipments.record("s1", order_id="o1", carrier="ups", tracking="1Z999",
                          tracking_url="https://ups.example/1Z999", promised_at=later(days=3),
                          at=later(hours=2))
    s = shop.shipments.get("s1")
    assert isinstance(s, retain.Shipment)
    assert (s.id, s.order_id, s.carrier, s.tracking) == ("s1", "o1", "ups", "1Z999")
    assert s.tracking_url == "https://ups.example/1Z999"
    assert s.promised_at == later(days=3) and s.promised_at_ms == retain.to_ms(later(days=3))
    assert s.created_at == later(hours=2)
    assert s.status == "label_created" and s.eta is None and s.delivered_at is None
    shop.shipments.update("s1", "in_transit", at=later(days=1), eta=later(days=2))
    shop.shipments.update("s1", "exception", at=later(days=2), detail="address not found")
    shop.shipments.update("s1", "delivered", at=later(days=4))
    s = shop.shipments.get("s1")
    assert s.status == "delivered" and s.delivered_at == later(days=4)
    assert s.eta == later(days=2)
    assert s.exception == "address not found"
    assert [h.status for h in s.history] == ["label_created", "in_transit", "exception",
                                             "delivered"]
    assert s.history[1].eta == later(days=2) and s.history[2].detail == "address not found"
    names = [e.name for e in shop.events.for_customer("c1")]
    assert {"shipment.label_created", "shipment.shipped", "shipment.in_transit",
            "shipment.exception", "shipment.delivered"} <= set(names)
    # update carrier data
    shop.shipments.record("s1", order_id="o1", carrier="dhl", at=later(days=5))
    assert shop.shipments.get("s1").carrier == "dhl"


def test_shipment_errors(shop, now):
    with pytest.raises(retain.NotFound):
        shop.shipments.record("s1", order_id="nope", at=now)
    with pytest.raises(retain.NotFound):
        shop.shipments.get("s1")
    with pytest.raises(retain.NotFound):
        shop.shipments.update("s1", "in_transit", at=now)
    shop.shipments.record("s1", order_id="o1", at=now)
    with pytest.raises(retain.InvalidArgument):
        shop.shipments.update("s1", "teleported", at=now)
    shop.orders.record("o2", customer_id="c1", channel="web", placed_at=now, currency="EUR",
                       total=1)
    with pytest.raises(retain.Conflict):
        shop.shipments.record("s1", order_id="o2", at=now)
