"""The delivery policy: quiet hours (deferring an SMS to the morning, in the customer's own
time zone), caps, marketplace profiles."""
from datetime import datetime, time, timedelta, timezone

import pytest

import retain
from conftest import ROOT

pytestmark = pytest.mark.skipif(not (retain.HAVE_POLICY and retain.HAVE_DELIVERY),
                                reason="this build has no delivery policy")


def test_quiet_hours_defaults_set_get_remove(engine):
    qh = engine.policy.quiet_hours
    assert qh.get("sms") == retain.QuietHours(time(21), time(8))  # a new database's default
    assert qh.get("email") is None
    qh.set("email", "22:30", time(6, 15))
    assert qh.get("email") == (time(22, 30), time(6, 15))
    qh.set("push", 60, 120)
    assert qh.get("push") == (time(1), time(2))
    qh.remove("push")
    assert qh.get("push") is None
    with pytest.raises(retain.InvalidArgument):
        qh.set("sms", 0, 1440)
    with pytest.raises(ValueError):
        qh.set("sms", "late", "08:00")


def test_quiet_hours_defer_an_sms(engine):
    # 03:00 in New York (08:00 UTC): inside 21:00-08:00 local
    night = datetime(2026, 1, 5, 8, tzinfo=timezone.utc)
    morning = datetime(2026, 1, 5, 13, tzinfo=timezone.utc)  # 08:00 EST
    engine.customers.upsert("c1", phone="+12125550100", timezone="America/New_York", at=night)
    sent = []
    engine.register_transport("sms", lambda m: sent.append(m.now) or True)
    r = engine.messages.queue("otp-1", customer_id="c1", channel="sms",
                              category="transactional", now=night)
    assert r.decision is retain.Decision.DEFERRED
    assert r.not_before == morning
    assert "quiet hours for sms until 08:00 America/New_York" in r.reason
    assert engine.outbox.deliver(night + timedelta(hours=2)).sent == 0
    assert engine.outbox.deliver(morning).sent == 1
    assert sent == [morning]
    deferred = [h for h in engine.outbox.history(r.message_id) if h["event"] == "deferred"]
    assert deferred[0]["rule"] == "quiet_hours"
    # skip instead of defer
    r = engine.messages.queue("otp-2", customer_id="c1", channel="sms",
                              category="transactional", now=night, on_quiet="skip")
    assert r.decision is retain.Decision.SKIPPED and "quiet hours" in r.reason


def test_caps(engine, now):
    caps = engine.policy.caps
    assert caps.get("email", "marketing") == retain.Cap(3, timedelta(days=7))  # default
    caps.set("email", "marketing", 1, timedelta(days=1))
    assert caps.get("email", "marketing") == (1, timedelta(days=1))
    caps.set("push", "all", 2, 3_600_000)
    assert caps.get("push", "all").window == timedelta(hours=1)
    caps.remove("push", "all")
    assert caps.get("push", "all") is None
    with pytest.raises(retain.NotFound):
        caps.remove("push", "all")
    # a capped marketing e-mail is deferred
    engine.customers.upsert("c1", email="ann@example.com", at=now)
    engine.consent.set("c1", "email", "marketing", "granted", at=now)
    engine.register_transport("email", lambda m: True)
    first = engine.messages.queue("m1", customer_id="c1", channel="email",
                                  category="marketing", now=now)
    engine.outbox.deliver(now)
    second = engine.messages.queue("m2", customer_id="c1", channel="email",
                                   category="marketing", now=now + timedelta(minutes=1))
    assert first.decision is retain.Decision.QUEUED
    assert second.decision is retain.Decision.DEFERRED
    assert second.not_before >= now + timedelta(days=1)


def test_profiles(engine, now, tmp_path):
    pr = engine.policy.profiles
    assert pr.of("amazon") == "amazon"
    assert pr.of("web") == "default"
    with pytest.raises(retain.ParseError) as info:
        pr.load("profile: ebay\nallow_categries: [transactional]\n", "ebay.yaml", now=now)
    assert (info.value.line, info.value.column) == (2, 1)
    assert 'did you mean "allow_categories"' in info.value.message
    assert info.value.diagnostics[0].snippet.startswith("allow_categries")
    pr.load("profile: ebay\nsales_channels: [ebay]\ndeny_categories: [marketing]\n", now=now)
    assert pr.of("ebay") == "ebay"
    pr.remove("ebay")
    assert pr.of("ebay") == "default"
    with pytest.raises(retain.NotFound):
        pr.remove("ebay")
    pr.load_file(ROOT / "examples" / "policies" / "amazon.yaml", now=now)
    assert pr.of("amazon-de") == "amazon"
    bad = tmp_path / "bad.yaml"
    bad.write_text("profile: [\n")
    with pytest.raises(retain.ParseError):
        pr.load_file(bad, now=now)
