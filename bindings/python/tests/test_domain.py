"""The post-purchase domain from Python: carrier URL templates and delay events,
consumption cycles and replenishment reminders, products and recommendations; with
a simulated clock, on hand tables whose answers can be worked out on paper."""
from datetime import timedelta
from decimal import Decimal

import pytest

import retain

pytestmark = pytest.mark.skipif(not retain.HAVE_DOMAIN, reason="this build has no domain")

DAY = timedelta(days=1)


def customer(e, cid, now):
    e.customers.upsert(cid, email=f"{cid}@example.com", at=now - 30 * DAY)
    e.consent.set(cid, "email", "all", retain.Consent.GRANTED, at=now - 30 * DAY)


def order(e, oid, cid, at, *skus):
    e.orders.record(oid, customer_id=cid, channel="web", placed_at=at, currency="EUR",
                    total=Decimal("10.00") * len(skus),
                    lines=[(s, None, q, 1000) for s, q in skus])


def test_delay_fires_once_with_tracking_data(now):
    sent = []
    with retain.Engine(eta_slip_margin=timedelta(hours=6)) as e:
        e.register_transport("email", lambda m: sent.append(m) or True)
        e.shipments.set_carrier("DHL", "https://track.example/{tracking}", at=now)
        e.journeys.load(
            "journey: delay-apology\n"
            "trigger: shipment.delayed\n"
            "steps:\n"
            "  - id: sorry\n"
            "    send: { channel: email, template: delay-apology, category: transactional }\n",
            now=now)
        customer(e, "c1", now)
        order(e, "o1", "c1", now, ("TEA", 1))
        e.shipments.record("s1", order_id="o1", at=now, carrier="dhl", tracking="AB 1",
                           promised_at=now + 3 * DAY)
        e.shipments.update("s1", "in_transit", at=now + DAY, eta=now + 3 * DAY + timedelta(hours=12))
        for day in (1.5, 2, 4, 5):
            e.tick(now + timedelta(days=day))
        causes = [(ev.props["cause"], ev.at) for ev in e.events.for_customer("c1")
                  if ev.name == "shipment.delayed"]
        assert causes == [("eta_slip", now + DAY), ("late", now + 3 * DAY)]
        # once_per_order entry: one apology for the order, with where-is-my-order data
        assert len(sent) == 1
        ship = sent[0].payload["shipment"]
        assert ship["tracking_url"] == "https://track.example/AB%201"
        assert [h["status"] for h in ship["history"]] == ["label_created", "in_transit"]
        assert ship["eta"] == retain.to_ms(now + 3 * DAY + timedelta(hours=12))


def test_bad_carrier_template(engine, now):
    with pytest.raises(retain.InvalidArgument, match="tracking"):
        engine.shipments.set_carrier("dhl", "https://track.example/", at=now)
    engine.shipments.set_carrier("dhl", None, at=now)  # removing an absent one is fine


@pytest.mark.parametrize("histories, want_days, source", [
    # per-unit intervals 30, 30, 20, 25, 40, 40 -> median 30
    ({"a": [(0, 1), (30, 2), (90, 1)], "b": [(0, 1), (20, 1)], "c": [(0, 2), (50, 1)],
      "d": [(0, 1), (40, 1), (80, 1)]}, 30, retain.CycleSource.LEARNED),
    # two samples are fewer than the default five: the fallback
    ({"a": [(0, 1), (30, 1)], "b": [(0, 1), (20, 1)]}, 45, retain.CycleSource.FALLBACK),
])
def test_learned_cycle(now, histories, want_days, source):
    with retain.Engine(replenish_fallback_cycle=45 * DAY) as e:
        n = 0
        for cid, buys in histories.items():
            customer(e, cid, now)
            for day, qty in buys:
                n += 1
                order(e, f"o{n}", cid, now + day * DAY, ("SOAP", qty))
        assert e.replenishment.learn(now + 200 * DAY) == 1
        c = e.replenishment.cycle("SOAP")
        assert c.source is source and c.cycle == want_days * DAY


def test_reminder_fires_once_and_a_reorder_cancels_it(now):
    sent = []
    with retain.Engine(replenish_lead=3 * DAY) as e:
        e.register_transport("email", lambda m: sent.append(m.template_id) or True)
        e.journeys.load(
            "journey: replenishment-reminder\n"
            "trigger: replenishment.due\n"
            "entry: always\n"
            "steps:\n"
            "  - id: remind\n"
            "    send: { channel: email, template: running-low, category: transactional }\n",
            now=now)
        customer(e, "c1", now)
        order(e, "o1", "c1", now, ("TEA", 1))
        e.replenishment.set_cycle("TEA", 10 * DAY)
        e.tick(now + DAY)
        assert e.replenishment.reminder("o1", "TEA") == (retain.ReminderState.PENDING,
                                                         now + 7 * DAY)
        order(e, "o2", "c1", now + 5 * DAY, ("TEA", 2))
        for day in (6, 8, 22, 23, 30):
            e.tick(now + day * DAY)
        assert e.replenishment.reminder("o1", "TEA")[0] is retain.ReminderState.REORDERED
        assert e.replenishment.reminder("o2", "TEA") == (retain.ReminderState.FIRED,
                                                         now + 22 * DAY)
        assert sent == ["running-low"]


def test_replenishment_bad_input(engine, now):
    with pytest.raises(retain.NotFound):
        engine.replenishment.set_cycle("NOPE", DAY)
    with pytest.raises(retain.NotFound):
        engine.replenishment.cycle("NOPE")
    customer(engine, "c1", now)
    order(engine, "o1", "c1", now, ("TEA", 1))
    with pytest.raises(retain.InvalidArgument):
        engine.replenishment.set_cycle("TEA", -DAY)
    with pytest.raises(retain.InvalidArgument, match="replenish_lead"):
        retain.Engine(replenish_lead=-DAY)


def test_recommendations_on_a_hand_table(engine, now):
    # counts A4 B4 C3 D2 E1; cosine AB .75, AC .5774, AD .3536, BC .2887, CE .5774
    baskets = {"u1": "A B C", "u2": "A B", "u3": "A C", "u4": "B D", "u5": "A B D",
               "u6": "C E"}
    for i, (cid, skus) in enumerate(baskets.items()):
        customer(engine, cid, now)
        order(engine, f"b{i}", cid, now, *[(s, 1) for s in skus.split()])
    engine.products.upsert("B", title="Bamboo brush", price=Decimal("12.99"), currency="EUR",
                           at=now)
    st = engine.recommendations.build()
    assert (st.baskets, st.skus, st.pairs) == (6, 5, 6)
    recs = engine.recommendations.for_customer("u3", n=5)
    assert [(r.sku, round(r.score, 4)) for r in recs] == [("B", 1.0387), ("E", 0.5774),
                                                          ("D", 0.3536)]
    assert recs[0].title == "Bamboo brush" and recs[0].price == Decimal("12.99")
    assert recs[2].title is None and recs[2].price == Decimal("10.00")
    assert not {"A", "C"} & {r.sku for r in recs}  # owned items are left out
    with pytest.raises(retain.NotFound):
        engine.recommendations.for_customer("nobody")
    with pytest.raises(retain.InvalidArgument):
        engine.recommendations.for_customer("u3", n=0)
    with pytest.raises(retain.InvalidArgument):
        engine.products.upsert("A", price=Decimal("1.00"), at=now)


def test_the_docs_sample_runs(capsys):
    import re
    from conftest import ROOT
    text = (ROOT / "docs" / "domain.md").read_text(encoding="utf-8")
    code = re.findall(r"```python\n(.*?)```", text, re.S)
    assert code, "docs/domain.md has no Python sample"
    exec(compile(code[0], "docs/domain.md", "exec"), {})
