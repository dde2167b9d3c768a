"""Events: tracking and reading back."""
import pytest

import retain


def test_track_and_iterate(engine, now, later):
    engine.customers.upsert("c1", at=now)
    engine.events.track("c1", "review.clicked", at=later(days=2), props={"stars": 9})
    engine.events.track("c1", "page.viewed", at=later(days=1), props='{"url": "/tea"}',
                        host_event_id="wh-1")
    events = list(engine.events.for_customer("c1"))
    assert [e.name for e in events] == ["customer.created", "page.viewed", "review.clicked"]
    ev = events[1]
    assert isinstance(ev, retain.Event)
    assert ev.customer_id == "c1" and ev.at == later(days=1)
    assert ev.at_ms == retain.to_ms(later(days=1))
    assert ev.props == {"url": "/tea"} and ev.host_event_id == "wh-1"
    assert ev.order_id is None
    assert events[2].props == {"stars": 9}
    assert events[0].seq < events[2].seq < events[1].seq  # seq is the order of recording


def test_host_event_id_makes_redelivery_a_no_op(engine, now):
    engine.customers.upsert("c1", at=now)
    for _ in range(3):
        engine.events.track("c1", "webhook.received", at=now, host_event_id="evt-42")
    assert engine.counts().events == 2


def test_order_events_name_the_order(shop):
    placed = [e for e in shop.events.for_customer("c1") if e.name == "order.placed"]
    assert len(placed) == 1 and placed[0].order_id == "o1"


@pytest.mark.parametrize("name, props, needle", [
    ("Bad Name", None, "name"),
    ("", None, "name"),
    ("x" * 65, None, "name"),
    ("ok", "[1]", "JSON object"),
    ("ok", "{oops", "JSON"),
])
def test_track_errors(engine, now, name, props, needle):
    engine.customers.upsert("c1", at=now)
    with pytest.raises(retain.InvalidArgument, match=needle):
        engine.events.track("c1", name, at=now, props=props)


def test_track_unknown_customer(engine, now):
    with pytest.raises(retain.NotFound):
        engine.events.track("nobody", "x", at=now)
    with pytest.raises(retain.NotFound):
        engine.events.for_customer("nobody")


def test_props_must_be_json_serializable(engine, now):
    engine.customers.upsert("c1", at=now)
    with pytest.raises(retain.InvalidArgument):
        engine.events.track("c1", "x", at=now, props={"when": object()})
    with pytest.raises(TypeError):
        engine.events.track("c1", "x", at=now, props=[1, 2])
