"""The post-purchase self-audit: engine.audit(now) -> dict, of the installed journeys or of
journey texts audited as if installed."""
import json

import pytest

import retain
from retain import _retain
from conftest import ROOT

pytestmark = pytest.mark.skipif(not hasattr(_retain.Engine, "audit") or not retain.HAVE_JOURNEYS,
                                reason="this build has no audit")

POST_PURCHASE = ROOT / "examples" / "journeys" / "post-purchase.yaml"
KEYS = ["confirmation", "shipping", "delay", "care", "feedback", "returns", "replenishment",
        "recommendations", "coupon", "policy", "marketplace", "measured"]

LATE_CONFIRMATION = """\
journey: late
trigger: order.placed
steps:
  - id: pause
    wait: 1h
  - id: confirm
    send: { channel: email, template: order_confirmation, category: transactional }
"""


def passed(report):
    return [i["key"] for i in report["items"] if i["passed"]]


def test_empty_store_scores_one_with_every_item_missing(engine, now):
    report = engine.audit(now)
    assert report["score"] == 1
    assert report["total_weight"] == 100 and report["passed_weight"] == 0
    assert [i["key"] for i in report["items"]] == KEYS
    assert sum(i["weight"] for i in report["items"]) == 100
    for item in report["items"]:
        assert item["passed"] is False
        assert item["title"] and item["detail"] and item["advice"]


def test_installed_example_journey(engine, now):
    engine.journeys.load_file(POST_PURCHASE, now=now)
    report = engine.audit(now)
    assert passed(report) == ["confirmation", "shipping", "care"]
    assert report["score"] == 1 + 9 * (15 + 10 + 8) // 100
    confirmation = report["items"][0]
    assert "post-purchase/confirm" in confirmation["detail"]
    assert confirmation["advice"] == ""
    # the same as the JSON of the C library, parsed
    assert json.loads(json.dumps(report)) == report


def test_texts_are_audited_as_if_installed_and_nothing_is_written(engine, now):
    text = POST_PURCHASE.read_text()
    report = engine.audit(now, journeys=[text], origins=["post-purchase.yaml"])
    assert passed(report) == ["confirmation", "shipping", "care"]
    assert passed(engine.audit(now)) == []
    # a confirmation after a wait is no confirmation
    assert passed(engine.audit(now, journeys=[LATE_CONFIRMATION])) == []


def test_policy_and_history_from_the_store(engine, now, later):
    with engine.transaction():
        for i in range(120):
            cid = f"c{i}"
            engine.customers.upsert(cid, at=now)
            engine.orders.record(f"o{i}", customer_id=cid, channel="web",
                                 placed_at=later(days=i), currency="EUR", total=1000)
    engine.consent.set("c1", "email", "all", retain.Consent.GRANTED, at=now)
    engine.journeys.load_file(POST_PURCHASE, now=now)
    report = engine.audit(later(days=150))
    assert passed(report) == ["confirmation", "shipping", "care", "policy", "marketplace",
                              "measured"]
    assert report["score"] == 5


def test_bad_text_raises_parse_error_with_position(engine, now):
    with pytest.raises(retain.ParseError) as info:
        engine.audit(now, journeys=["journey: x\ntrigger: order.placed\nsteps:\n  - id: a\n"
                                    "    sned: {}\n"], origins=["bad.yaml"])
    assert (info.value.line, info.value.column) == (5, 5)
    assert engine.audit(now)["score"] == 1  # still usable


def test_bad_arguments(engine, now):
    with pytest.raises(TypeError):
        engine.audit(now, journeys=LATE_CONFIRMATION)  # one str, not a list of them
    with pytest.raises(TypeError):
        engine.audit(now, journeys=[42])
    with pytest.raises(retain.InvalidArgument):
        engine.audit(now, journeys=[LATE_CONFIRMATION], origins=["a", "b"])
    with pytest.raises(retain.InvalidArgument):
        engine.audit(now, origins=["a"])
    engine.close()
    with pytest.raises(retain.EngineClosed):
        engine.audit(now)
