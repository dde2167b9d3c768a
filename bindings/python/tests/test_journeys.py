"""Journeys: loading (errors with line and column), the tick with Python transports, the
next touchpoint and explain, journey conversion."""
from datetime import timedelta
from decimal import Decimal

import pytest

import retain
from conftest import ROOT

pytestmark = pytest.mark.skipif(not (retain.HAVE_JOURNEYS and retain.HAVE_DELIVERY),
                                reason="this build has no journeys")

POST_PURCHASE = ROOT / "examples" / "journeys" / "post-purchase.yaml"

BAD = """\
journey: broken
version: 1
trigger: { event: order.placed }
steps:
  - id: a
    sned: { channel: email, template: t, category: transactional }
  - id: b
    goto: nowhere
"""


def test_load_errors_carry_line_column_and_every_diagnostic(engine, now):
    with pytest.raises(retain.ParseError) as info:
        engine.journeys.load(BAD, "broken.yaml", now=now)
    exc = info.value
    assert exc.code == retain._retain.EPARSE
    assert (exc.line, exc.column) == (6, 5)
    assert 'did you mean "send"' in exc.message
    diags = exc.diagnostics
    assert len(diags) >= 2
    assert all(isinstance(d, retain.Diagnostic) for d in diags)
    assert diags[0] == (6, 5, exc.message, diags[0].snippet)
    assert any(d.line == 8 and "nowhere" in d.message for d in diags)
    # nothing was installed: a corrected text loads
    engine.journeys.load(BAD.replace("sned", "send").replace("goto: nowhere", "exit: true"),
                         now=now)


@pytest.mark.parametrize("text, line, column", [
    ("journey: [unclosed\n", 2, None),  # found at the end of the text
    ("journey: j\nversion: 1\ntrigger: { event: order.placed }\nsteps:\n  - id: a\n"
     "    wait: 2 days\n", 6, None),
])
def test_load_error_table(engine, now, text, line, column):
    with pytest.raises(retain.ParseError) as info:
        engine.journeys.load(text, now=now)
    assert info.value.line == line
    if column is not None:
        assert info.value.column == column


def test_load_file_and_conflicts(engine, now, tmp_path):
    engine.journeys.load_file(POST_PURCHASE, now=now)
    engine.journeys.load_file(str(POST_PURCHASE), now=now)  # same text: a no-op
    changed = tmp_path / "pp.yaml"
    changed.write_text(POST_PURCHASE.read_text().replace("timeout: 3d", "timeout: 4d"))
    with pytest.raises(retain.Conflict):
        engine.journeys.load_file(changed, now=now)
    with pytest.raises(retain.DatabaseIOError):
        engine.journeys.load_file(tmp_path / "missing.yaml", now=now)
    with pytest.raises(TypeError):
        engine.journeys.load(b"journey: x", now=now)
    with pytest.raises(retain.InvalidArgument):
        engine.journeys.load_file(POST_PURCHASE, now=now.replace(tzinfo=None))


class Recorder:
    """A transport recording what it was handed."""

    def __init__(self):
        self.messages = []

    def __call__(self, message):
        self.messages.append(message)
        return retain.Sent(provider_id=f"prov-{message.id}")

    @property
    def templates(self):
        return [m.template_id for m in self.messages]


def post_purchase_shop(engine, now):
    engine.journeys.load_file(POST_PURCHASE, now=now)
    mail = Recorder()
    engine.register_transport("email", mail)
    engine.customers.upsert("c1", email="ann@example.com", name="Ann",
                            timezone="Europe/Berlin", at=now)
    engine.consent.set("c1", "email", "marketing", "granted", at=now)
    engine.orders.record("o1", customer_id="c1", channel="web", placed_at=now, currency="EUR",
                         total=Decimal("25.00"), lines=[("TEA-01", "Sencha", 2, Decimal("12.50"))])
    return mail


def run_hours(engine, start, hours):
    total = [0] * 9
    for h in range(hours + 1):
        st = engine.tick(start + timedelta(hours=h))
        assert isinstance(st, retain.TickStats)
        total = [a + b for a, b in zip(total, st)]
    return retain.TickStats(*total)


@pytest.mark.parametrize("ship_after_hours, expected", [
    (None, ["order_confirmation", "shipping_delayed_sorry"]),   # not shipped in 3 days
    (30, ["order_confirmation", "order_shipped"]),             # shipped on day 2
])
def test_post_purchase_run(engine, now, ship_after_hours, expected):
    mail = post_purchase_shop(engine, now)
    if ship_after_hours is None:
        stats = run_hours(engine, now, 24 * 4)
    else:
        run_hours(engine, now, ship_after_hours - 1)
        at = now + timedelta(hours=ship_after_hours)
        engine.shipments.record("s1", order_id="o1", carrier="dhl", at=at)
        engine.shipments.update("s1", "in_transit", at=at)  # emits shipment.shipped
        stats = run_hours(engine, at, 24 * 3)
    assert mail.templates == expected
    first = mail.messages[0]
    assert first.now == now and first.attempt == 1
    assert first.customer_id == "c1" and first.recipient == "ann@example.com"
    assert first.channel == "email" and first.category == "transactional"
    assert first.journey == "post-purchase" and first.step == "confirm"
    assert first.order_id == "o1" and first.journey_version == 1
    assert len(first.idempotency_key) == 64
    assert first.payload["order"]["id"] == "o1"
    assert first.payload["lines"][0]["sku"] == "TEA-01"
    assert stats.sent >= 1
    if ship_after_hours is None:
        assert mail.messages[1].now == now + timedelta(days=3)
    for m in mail.messages:
        entry = engine.outbox.get(m.id)
        assert entry.state is retain.OutboxState.SENT
        assert entry.provider_id == f"prov-{m.id}"
        assert engine.messages.find(m.idempotency_key) == m.id
        assert engine.messages.find_by_provider("email", f"prov-{m.id}") == m.id
    # ticking again at the same time does nothing new
    assert engine.tick(now + timedelta(days=4)) == retain.TickStats(*[0] * 9)


def test_next_and_explain(engine, now):
    post_purchase_shop(engine, now)
    tp = engine.customers.next("c1", now)
    assert tp and tp.outlook is retain.Outlook.SEND
    assert (tp.journey, tp.step, tp.template_id) == ("post-purchase", "confirm",
                                                      "order_confirmation")
    assert tp.due_at == tp.send_at == now
    engine.tick(now)
    tp = engine.customers.next("c1", now)
    assert (tp.step, tp.template_id) == ("apologize_wait", "shipping_delayed_sorry")
    assert tp.due_at == now + timedelta(days=3)
    assert "shipment.shipped" in tp.reason
    info = engine.customers.explain("c1", now)
    assert isinstance(info, dict) and info["customer"] == "c1"
    inst = info["instances"][0]
    assert inst["journey"] == "post-purchase" and inst["step"] == "wait_ship"
    assert [h["step"] for h in inst["history"]][:2] == ["confirm", "confirm"]
    assert inst["waiting_for"]["event"] == "shipment.shipped"
    with pytest.raises(retain.NotFound):
        engine.customers.next("nobody", now)
    engine.customers.upsert("idle", at=now)
    idle = engine.customers.next("idle", now)
    assert not idle and idle.outlook is retain.Outlook.NONE and idle.journey is None


def test_journey_conversion(engine, now):
    post_purchase_shop(engine, now)
    engine.tick(now)
    later = now + timedelta(days=10)
    engine.orders.record("o2", customer_id="c1", channel="web", placed_at=later,
                         currency="EUR", total=Decimal("9.00"))
    engine.tick(later)
    conv = engine.metrics.journey_conversion("post-purchase", window=timedelta(days=60),
                                             as_of=later)
    assert isinstance(conv, retain.MetricsResult)
    first = next(r for r in conv["rows"] if r["journey"] == "post-purchase")
    assert first["entered"] >= 1 and first["converted"] >= 1
    assert conv.rows() == conv["rows"]
    everything = engine.metrics.journey_conversion(window=86_400_000 * 60, as_of=later,
                                                   since=now)
    assert everything["rows"]
