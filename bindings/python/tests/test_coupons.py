"""Coupons and feedback: campaigns, codes checked at checkout, a journey's coupon step with the
code in the payload, feedback answers with escalation and NPS."""
from datetime import timedelta
from decimal import Decimal

import pytest

import retain
from conftest import ROOT

pytestmark = pytest.mark.skipif(not (retain.HAVE_COUPONS and retain.HAVE_JOURNEYS),
                                reason="this build has no coupons and feedback")

SECRET = b"a test secret of 32 bytes......."


@pytest.fixture
def coupons(shop, now):
    shop.coupons.seed(SECRET)
    shop.coupons.define("sorry10", now=now, percent=10, prefix="SORRY", currency="EUR",
                        min_order=Decimal("20.00"), valid_for=timedelta(days=30),
                        per_customer=1, sales_channels=["web", "pos"])
    return shop.coupons


def test_issue_validate_redeem(coupons, now, later):
    code = coupons.issue("sorry10", customer_id="c1", now=now)
    assert code.startswith("SORRY") and len(code) == 13
    assert not set(code[5:]) & set("01OIL")
    ok = coupons.validate(code.lower(), customer_id="c1", total=Decimal("25.00"), currency="EUR",
                          channel="web", now=now)
    assert ok.valid and ok.discount == 250 and ok.currency == "EUR" and ok.campaign == "sorry10"
    assert ok.expires_at == later(days=30)
    cases = [
        (dict(code="NOPE2345"), retain.CouponReason.UNKNOWN),
        (dict(total=Decimal("19.99")), retain.CouponReason.MINIMUM_NOT_MET),
        (dict(channel="amazon"), retain.CouponReason.WRONG_CHANNEL),
        (dict(now=later(days=30)), retain.CouponReason.EXPIRED),
        (dict(currency="USD"), retain.CouponReason.WRONG_CURRENCY),
    ]
    for change, reason in cases:
        args = dict(code=code, customer_id="c1", total=Decimal("25.00"), currency="EUR",
                    channel="web", now=now)
        args.update(change)
        got = coupons.validate(args.pop("code"), **args)
        assert got.reason is reason, (change, got)
        assert got.message and not got.valid
    r = coupons.redeem(code, order_id="o2", customer_id="c1", total=2500, currency="EUR",
                       channel="web", now=now)
    assert r.valid and r.uses_left == 0
    assert coupons.validate(code, customer_id="c1", now=now).reason is retain.CouponReason.USED_UP
    other = coupons.issue("sorry10", customer_id="c1", now=now)
    assert coupons.validate(other, customer_id="c1", now=now).reason is \
        retain.CouponReason.CUSTOMER_LIMIT
    coupons.revoke(other, now=now, reason="test")
    assert coupons.validate(other, customer_id="c1", now=later(hours=1)).reason is \
        retain.CouponReason.REVOKED


def test_bad_input(shop, now):
    shop.coupons.define("p5", now=now, percent=5)
    with pytest.raises(retain.Misuse, match="retain_coupon_seed"):
        shop.coupons.issue("p5", now=now)  # no seed yet: no randomness
    shop.coupons.seed(SECRET)
    with pytest.raises(retain.InvalidArgument):
        shop.coupons.define("p", now=now, percent=101)
    with pytest.raises(ValueError):
        shop.coupons.define("p", now=now, percent=5, amount=5)
    with pytest.raises(retain.NotFound):
        shop.coupons.issue("none", now=now)
    with pytest.raises(retain.NotFound):
        shop.coupons.revoke("NOPE2345", now=now)
    with pytest.raises(retain.ParseError):
        shop.coupons.load_campaigns("coupon_campaign: x\npercent: 0\n", now=now)


def test_campaign_file_and_journey_payload(shop, now, later):
    shop.coupons.seed(SECRET)
    shop.coupons.load_campaigns(ROOT / "examples" / "coupons" / "campaigns.yaml", now=now)
    shop.journeys.load("""
journey: sorry
trigger: order.placed
steps:
  - id: code
    coupon: { campaign: sorry10, on_invalid: plain }
  - id: with_code
    send: { channel: email, template: sorry_code, category: transactional }
    goto: done
  - id: plain
    send: { channel: email, template: sorry_plain, category: transactional }
  - id: done
    exit: true
""", now=now)
    got = []
    shop.register_transport("email", lambda m: got.append(m) or True)
    shop.orders.record("o9", customer_id="c1", channel="web", placed_at=later(hours=1),
                       currency="EUR", total=Decimal("25.00"), lines=[("TEA-01", 1, 2500)])
    shop.tick(later(hours=2))
    assert [m.template_id for m in got] == ["sorry_code"]
    coupon = got[0].payload["coupon"]
    assert coupon["campaign"] == "sorry10" and coupon["discount"] == {"percent": 10}
    assert shop.coupons.validate(coupon["code"], customer_id="c1", now=later(hours=3)).valid


def test_feedback_escalation_and_nps(shop, now, later):
    shop.customers.upsert("c2", email="bob@example.com", at=now)
    shop.orders.record("o2", customer_id="c2", channel="web", placed_at=now, currency="EUR",
                       total=1000, lines=[("MUG-01", 1, 1000)])
    with pytest.raises(retain.InvalidArgument, match="out of range"):
        shop.feedback.record("c1", 11, order_id="o1", at=now)
    with pytest.raises(retain.InvalidArgument):
        shop.feedback.record("c1", 0, scale=retain.Scale.ONE_TO_TEN, at=now)
    shop.feedback.configure(escalate_at=4, task_kind="chat")
    shop.feedback.record("c1", 10, order_id="o1", comment="great", at=later(days=1))
    shop.feedback.record("c2", 4, order_id="o2", comment="broken", at=later(days=2))
    shop.feedback.record("c2", 5, order_id="o2", at=later(days=3))
    tasks = [e for e in shop.events.for_customer("c2") if e.name == "task.created"]
    assert len(tasks) == 1 and tasks[0].props["kind"] == "chat"
    assert tasks[0].props["score"] == 4
    answers = [e for e in shop.events.for_customer("c1") if e.name == "feedback.received"]
    assert answers[0].props["comment"] == "great" and answers[0].props["order"] == "o1"
    m = shop.feedback.metrics("product", as_of=later(days=10))
    rows = {r["sku"]: r for r in m.rows()}
    assert rows["TEA-01"]["nps"] == 100.0 and rows["MUG-01"]["nps"] == -100.0
    assert m["total"]["responses"] == 3 and m["total"]["promoters"] == 1
    assert m["total"]["nps"] == pytest.approx(100 * (1 - 2) / 3)
    assert m["total"]["average"] == pytest.approx(19 / 3)
    by_month = shop.feedback.metrics(as_of=later(days=10), period="month")
    assert len(by_month["rows"]) == 1
