"""engine.tasks: agents, routing by skill and hours, outcomes, errors."""
from datetime import datetime, timedelta, timezone

import pytest

import retain

MON = datetime(2024, 1, 15, 9, 0, tzinfo=timezone.utc)   # 10:00 in Berlin


def test_routing_and_outcomes():
    with retain.Engine() as e:
        e.customers.upsert("c1", at=MON)
        e.tasks.routing(explore=0)
        e.tasks.add_agent("ann", skills="call", timezone="Europe/Berlin",
                          hours=("09:00", "17:00"), days=["mon", "tue", "wed", "thu", "fri"],
                          now=MON)
        e.tasks.add_agent("bob", skills="*", now=MON)
        first = e.tasks.create("c1", "call", MON, note="say thanks")
        late = e.tasks.create("c1", "call", MON + timedelta(hours=10))   # 20:00 in Berlin
        by_id = {t["id"]: t for t in e.tasks.list()}
        assert by_id[first]["agent"] == "ann" and by_id[first]["note"] == "say thanks"
        assert by_id[late]["agent"] == "bob"
        e.tasks.complete(first, "reached", MON + timedelta(hours=1), converted=True)
        [done] = e.tasks.list(state="done")
        assert (done["id"], done["outcome"], done["converted"]) == (first, "reached", True)
        ann = next(a for a in e.tasks.agents() if a["id"] == "ann")
        assert ann["kinds"] == {"call": {"completed": 1, "converted": 1}}
        with pytest.raises(retain.Conflict):
            e.tasks.complete(first, "again", MON, converted=False)
        with pytest.raises(retain.ConstraintError):
            e.tasks.claim(e.tasks.create("c1", "gift", MON), "ann", MON)
        with pytest.raises(retain.NotFound):
            e.tasks.claim(first, "nobody", MON)
        with pytest.raises(retain.InvalidArgument):
            e.tasks.add_agent("x", skills="", now=MON)
        with pytest.raises(ValueError):
            e.tasks.list(state="finished")
        assert e.tasks.route(MON) == 0
