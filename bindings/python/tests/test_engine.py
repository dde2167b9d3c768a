"""Engine lifecycle, options, closed engines, transactions, files, version information."""
import os
import sqlite3
import pytest

import retain


def test_memory_engine_context_manager(now):
    with retain.Engine() as e:
        assert e.path == ":memory:"
        assert not e.closed
        assert "open" in repr(e)
        e.customers.upsert("c1", at=now)
        assert e.counts().customers == 1
    assert e.closed
    assert "closed" in repr(e)


def test_close_twice_is_harmless():
    e = retain.Engine()
    e.close()
    e.close()
    assert e.closed


CLOSED_CALLS = [
    lambda e, t: e.counts(),
    lambda e, t: e.begin(),
    lambda e, t: e.commit(),
    lambda e, t: e.rollback(),
    lambda e, t: e.customers.upsert("c1", at=t),
    lambda e, t: e.customers.get("c1"),
    lambda e, t: e.customers.delete("c1"),
    lambda e, t: e.customers.find(email="a@example.com"),
    lambda e, t: e.consent.set("c1", "email", "marketing", "granted", at=t),
    lambda e, t: e.consent.get("c1", "email", "marketing"),
    lambda e, t: e.orders.record("o1", customer_id="c1", channel="web", placed_at=t,
                                 currency="USD", total=1),
    lambda e, t: e.orders.record_many([]),
    lambda e, t: e.orders.set_status("o1", "paid", at=t),
    lambda e, t: e.orders.get("o1"),
    lambda e, t: e.orders.for_customer("c1"),
    lambda e, t: e.shipments.record("s1", order_id="o1", at=t),
    lambda e, t: e.shipments.update("s1", "in_transit", at=t),
    lambda e, t: e.shipments.get("s1"),
    lambda e, t: e.events.track("c1", "x", at=t),
    lambda e, t: e.events.for_customer("c1"),
]


@pytest.mark.parametrize("call", CLOSED_CALLS)
def test_closed_engine_raises_engine_closed(call, now):
    e = retain.Engine()
    e.close()
    with pytest.raises(retain.EngineClosed) as info:
        call(e, now)
    assert isinstance(info.value, retain.Misuse)
    assert info.value.code == retain._retain.EMISUSE
    assert "closed" in str(info.value)


def test_transaction_context_manager_commits_and_rolls_back(engine, now):
    with engine.transaction():
        engine.customers.upsert("a", at=now)
        engine.customers.upsert("b", at=now)
    assert engine.counts().customers == 2
    with pytest.raises(RuntimeError):
        with engine.transaction():
            engine.customers.upsert("c", at=now)
            raise RuntimeError("host failure")
    assert engine.counts().customers == 2
    assert "c" not in engine.customers


def test_failed_call_inside_transaction_undoes_only_itself(engine, now):
    with engine.transaction():
        engine.customers.upsert("a", at=now)
        with pytest.raises(retain.InvalidArgument):
            engine.customers.upsert("b", email="not-an-address", at=now)
        engine.customers.upsert("c", at=now)
    assert engine.counts().customers == 2


def test_transaction_misuse(engine, now):
    with pytest.raises(retain.Misuse):
        engine.commit()
    with pytest.raises(retain.Misuse):
        engine.rollback()
    with engine.transaction():
        with pytest.raises(retain.Misuse):
            with engine.transaction():
                pass
    engine.begin()
    engine.customers.upsert("a", at=now)
    engine.rollback()
    assert engine.counts().customers == 0
    engine.begin()
    engine.customers.upsert("a", at=now)
    engine.commit()
    assert engine.counts().customers == 1


def test_close_inside_transaction_rolls_back(tmp_path, now):
    path = tmp_path / "tx.db"
    e = retain.Engine(path)
    e.begin()
    e.customers.upsert("a", at=now)
    e.close()
    with retain.Engine(path) as e2:
        assert e2.counts().customers == 0


def test_wal_file_database_reopened(tmp_path, now):
    path = tmp_path / "shop.db"
    with retain.Engine(path, busy_timeout_ms=2000, cache_kib=1024) as e:
        e.customers.upsert("c1", email="ann@example.com", at=now)
        e.orders.record("o1", customer_id="c1", channel="web", placed_at=now, currency="USD",
                        total=1999)
        assert (tmp_path / "shop.db-wal").exists()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with retain.Engine(str(path)) as e:
        c = e.customers.get("c1")
        assert c.email == "ann@example.com"
        assert c.revenue_minor == {"USD": 1999}
        assert e.counts() == retain.Counts(1, 1, 0, 0, 2)


def test_two_engines_share_a_file(tmp_path, now):
    path = tmp_path / "shared.db"
    with retain.Engine(path) as a, retain.Engine(path) as b:
        a.customers.upsert("c1", at=now)
        assert b.customers.get("c1").id == "c1"


def test_readonly_engine_refuses_writes(tmp_path, now):
    path = tmp_path / "ro.db"
    with retain.Engine(path) as e:
        e.customers.upsert("c1", at=now)
    with retain.Engine(path, readonly=True) as ro:
        assert ro.customers.get("c1").id == "c1"
        with pytest.raises(retain.Misuse):
            ro.customers.upsert("c2", at=now)
        with pytest.raises(retain.Misuse):
            ro.orders.record_many([{"id": "o", "customer_id": "c1", "placed_at": now,
                                    "currency": "USD", "total": 1}])


def test_mmap(tmp_path):
    path = tmp_path / "mapped.db"
    with retain.Engine(path, mmap_mib=8) as e:
        e.customers.upsert("m1", at=0, email="m1@example.com")
    with retain.Engine(path) as plain, retain.Engine(path, mmap_mib=8) as mapped:
        plain.customers.upsert("m2", at=0, email="m2@example.com")
        assert mapped.customers.get("m1").email == "m1@example.com"
        assert mapped.customers.get("m2").email == "m2@example.com"


def test_open_errors():
    with pytest.raises(retain.DatabaseIOError) as info:
        retain.Engine("/nonexistent-dir/for/sure/x.db")
    assert isinstance(info.value, OSError)
    assert "x.db" in info.value.message
    with pytest.raises(retain.InvalidArgument, match="Nowhere/Atlantis"):
        retain.Engine(default_timezone="Nowhere/Atlantis")
    with pytest.raises(retain.InvalidArgument, match="busy_timeout_ms"):
        retain.Engine(busy_timeout_ms=-1)
    with pytest.raises(retain.InvalidArgument, match="cache_kib"):
        retain.Engine(cache_kib=-5)
    with pytest.raises(retain.InvalidArgument, match="mmap_mib"):
        retain.Engine(mmap_mib=-1)
    with pytest.raises(retain.InvalidArgument):
        retain.Engine("")
    with pytest.raises(TypeError):
        retain.Engine(default_country=49)


def test_open_refuses_newer_database(tmp_path):
    path = tmp_path / "future.db"
    with retain.Engine(path):
        pass
    with sqlite3.connect(path) as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        db.execute(f"PRAGMA user_version={version + 1000}")
    if version == 0:
        pytest.skip("this libretain does not keep its schema version in user_version")
    with pytest.raises(retain.Unsupported):
        retain.Engine(path)


def test_options_reach_the_engine(now):
    with retain.Engine(default_country="DE", default_timezone="Europe/Berlin",
                       zoneinfo_dir="/usr/share/zoneinfo") as e:
        e.customers.upsert("c1", phone="030 1234567", at=now)
        assert e.customers.get("c1").phone == "+49301234567"
    # Without zoneinfo files a zone cannot be found: refused when the engine
    # opens (its default zone) or when a customer names one.
    try:
        e = retain.Engine(zoneinfo_dir="/nonexistent/zoneinfo")
    except retain.InvalidArgument:
        pass
    else:
        with e, pytest.raises(retain.InvalidArgument):
            e.customers.upsert("c1", timezone="Europe/Berlin", at=now)


def test_counts(shop, now):
    shop.shipments.record("s1", order_id="o1", at=now)
    n = shop.counts()
    assert isinstance(n, retain.Counts)
    assert (n.customers, n.orders, n.order_lines, n.shipments) == (1, 1, 1, 1)
    assert n.events >= 3


def test_version_information():
    assert retain.version() == retain.__version__
    assert retain.version_info == tuple(int(p) for p in retain.version().split("."))
    assert retain._retain.HEADER_VERSION == retain.version()
    assert isinstance(retain.schema_version(), int) and retain.schema_version() >= 1
    assert retain.errstr(0) == "ok"
    assert retain.errstr(-1) == "invalid argument"
    assert retain.errstr(12345) == "unknown status code"
    assert retain.errstr(2**40) == "unknown status code"


def test_engine_accepts_pathlike(tmp_path):
    with retain.Engine(tmp_path / "p.db") as e:
        assert e.path == os.fspath(tmp_path / "p.db")


def test_iterators_end_when_the_engine_closes(shop, now):
    it = shop.events.for_customer("c1")
    first = next(it)
    assert first.name == "customer.created"
    orders = shop.orders.for_customer("c1")
    shop.close()
    with pytest.raises(retain.EngineClosed):
        next(it)
    with pytest.raises(retain.EngineClosed):
        list(orders)
    it.close()  # harmless after the engine closed


def test_iterator_keeps_engine_alive(now):
    e = retain.Engine()
    e.customers.upsert("c1", at=now)
    it = e.events.for_customer("c1")
    del e  # the iterator holds the engine
    assert [ev.name for ev in it] == ["customer.created"]


def test_iterator_outliving_its_closed_engine(now):
    e = retain.Engine()
    e.customers.upsert("c1", at=now)
    it = e.orders.for_customer("c1")
    e.close()
    del e
    with pytest.raises(retain.EngineClosed):
        next(it)


def test_backup_is_a_consistent_copy(tmp_path, now):
    src, dest = tmp_path / "shop.db", tmp_path / "copy.db"
    with retain.Engine(src) as e:
        e.customers.upsert("c1", email="ann@example.com", at=now)
        e.backup(dest)
        with pytest.raises(retain.Conflict, match="never overwrites"):
            e.backup(dest)
        with e.transaction():
            with pytest.raises(retain.Misuse):
                e.backup(tmp_path / "other.db")
        assert not (tmp_path / "other.db").exists()
    with retain.Engine(dest) as copy:
        assert copy.counts().customers == 1
        assert copy.customers.get("c1").email == "ann@example.com"
