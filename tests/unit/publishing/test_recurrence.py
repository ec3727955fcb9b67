"""Pure parts of automation: recurring rules across daylight-saving changes (cron and RRULE, two zones), the
evergreen pick (gap, duplicate-text rule, exhaustion), feed item keys and filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from lily.publishing import evergreen
from lily.publishing.autofeeds import Item, keys, passes, render
from lily.publishing.models import EvergreenPool
from lily.publishing.recurring import occurrences

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


def _local(instants, zone):
    return [a.astimezone(zone).isoformat() for a in instants]


@pytest.mark.parametrize(("cron", "rrule"), [("30 2 * * *", None), (None, "FREQ=DAILY;BYHOUR=2;BYMINUTE=30")])
def test_a_daily_0230_across_spring_forward_goes_out_at_0330_that_day(cron, rrule):
    start = datetime(2027, 3, 27, 0, 0, tzinfo=UTC)
    got = list(islice(occurrences(cron, rrule, BERLIN, start, start), 3))
    assert _local(got, BERLIN) == ["2027-03-27T02:30:00+01:00", "2027-03-28T03:30:00+02:00",
                                   "2027-03-29T02:30:00+02:00"]


@pytest.mark.parametrize(("cron", "rrule"), [("30 1 * * *", None), (None, "FREQ=DAILY;BYHOUR=1;BYMINUTE=30")])
def test_a_daily_0130_across_new_york_fall_back_goes_out_once(cron, rrule):
    start = datetime(2027, 11, 6, 0, 0, tzinfo=UTC)
    got = list(islice(occurrences(cron, rrule, NEW_YORK, start, start), 3))
    assert _local(got, NEW_YORK) == ["2027-11-06T01:30:00-04:00", "2027-11-07T01:30:00-04:00",
                                     "2027-11-08T01:30:00-05:00"]
    assert len(set(got)) == 3


def test_rrule_keeps_its_phase_and_until_ends_it():
    start = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # a Monday
    rule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=9;BYMINUTE=0"
    after = start + timedelta(days=10)  # asking from the middle keeps the every-other-week phase
    got = list(occurrences(None, rule, ZoneInfo("UTC"), start, after, until=start + timedelta(days=43)))
    assert [g.date().isoformat() for g in got] == ["2027-01-18", "2027-02-01", "2027-02-15"]


def _pool(items, connection_ids=("x1", "li1"), sent=None, gap_days=2, max_cycles=None) -> EvergreenPool:
    return EvergreenPool("org", "pool", name="p", connection_ids=list(connection_ids), items=items,
                         interval_hours=12, min_gap_days=gap_days, max_cycles=max_cycles, sent=sent or {})


def _item(i, text, last_at=None, times=0):
    return {"item_id": i, "text": text, "media_ids": [], "first_comment": None, "last_at": last_at, "times": times}


PLATFORMS = {"x1": "x", "li1": "linkedin"}
AT = datetime(2027, 5, 1, 12, 0, tzinfo=UTC)


def test_pick_takes_the_longest_unposted_item_outside_its_gap():
    pool = _pool([_item("a", "A", "2027-04-30T12:00:00Z", 1), _item("b", "B", "2027-04-20T12:00:00Z", 1),
                  _item("c", "C", "2027-04-25T12:00:00Z", 1)])
    item, conns, _ = evergreen.pick(pool, PLATFORMS, AT)
    assert item["item_id"] == "b" and conns == ["x1", "li1"]


def test_pick_waits_for_the_gap_and_says_until_when():
    pool = _pool([_item("a", "A", "2027-04-30T12:00:00Z", 1)])
    item, conns, free_at = evergreen.pick(pool, PLATFORMS, AT)
    assert item is None and free_at == datetime(2027, 5, 2, 12, 0, tzinfo=UTC)


def test_pick_never_sends_a_text_twice_to_x_and_is_exhausted_when_nothing_can_go():
    pool = _pool([_item("a", "A", "2027-01-01T00:00:00Z", 1)], sent={"x1": [evergreen.text_hash("A")]})
    item, conns, _ = evergreen.pick(pool, PLATFORMS, AT)
    assert item["item_id"] == "a" and conns == ["li1"]
    only_x = _pool([_item("a", "A", "2027-01-01T00:00:00Z", 1)], connection_ids=("x1",),
                   sent={"x1": [evergreen.text_hash("A")]})
    assert evergreen.pick(only_x, PLATFORMS, AT) == (None, [], None)
    capped = _pool([_item("a", "A", "2027-01-01T00:00:00Z", 2)], max_cycles=2)
    assert evergreen.pick(capped, PLATFORMS, AT) == (None, [], None)


def test_feed_keys_ignore_dates_and_fragments_and_filters_match_words():
    a = Item(guid="g1", link="https://blog.example/a/", title="Alpha", summary="x", published=None)
    moved = Item(guid="g1", link="https://blog.example/a#top", title="Alpha (updated)", summary="y",
                 published=datetime(2030, 1, 1, tzinfo=UTC))
    assert keys("o", "f", a) == keys("o", "f", moved)
    assert keys("o", "f", a)[1] == keys("o", "f", Item("g2", "https://blog.example/a", "", "", None))[1]
    assert passes(a, ["alpha"], []) and not passes(a, ["beta"], []) and not passes(a, [], ["ALPHA"])
    assert render("{title}: {link}", a) == "Alpha: https://blog.example/a/"


class Rewording:
    """The rewording port: answers the queued texts in turn, or raises the queued error."""

    def __init__(self, *answers) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str, list[str]]] = []

    def vary(self, org_id, platform, text, avoid):
        self.asked.append((platform, text, list(avoid)))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _vary_pool(sent, variants=None):
    pool = _pool([_item("a", "A", "2027-01-01T00:00:00Z", 1)], sent=sent)
    pool.on_duplicate = "vary"
    if variants:
        pool.items[0]["variants"] = variants
    return pool


def test_vary_keeps_x_in_the_pick_and_rewords_only_where_the_text_was_sent():
    from lily.core.errors import ErrorCode, LilyError

    pool = _vary_pool({"x1": [evergreen.text_hash("A")]})
    item, conns, _ = evergreen.pick(pool, PLATFORMS, AT)  # with vary, X is not removed by the pick
    assert item["item_id"] == "a" and conns == ["x1", "li1"]
    # a fresh rewording goes to X as its own text; LinkedIn keeps the original
    port = Rewording("A, in other words")
    got, texts, skipped = evergreen._varied(pool, port, PLATFORMS, item, conns)
    assert (got, texts, skipped) == (["x1", "li1"], {"x1": "A, in other words"}, None)
    assert port.asked == [("x", "A", ["A"])] and item["variants"] == ["A, in other words"]
    # a rewording that repeats a sent text: X skipped, said why; the next asks to avoid it too
    pool = _vary_pool({"x1": [evergreen.text_hash("A"), evergreen.text_hash("B")]}, variants=["B"])
    got, texts, skipped = evergreen._varied(pool, Rewording("B"), PLATFORMS, pool.items[0], ["x1", "li1"])
    assert got == ["li1"] and texts == {} and skipped["reason"] == "duplicate_text"
    # the AI quota refusing: X skipped with the quota's code, nothing else asked
    refusal = LilyError(ErrorCode.PLAN_002, "ai_text_requests used up")
    got, texts, skipped = evergreen._varied(pool, Rewording(refusal), PLATFORMS, pool.items[0], ["x1", "li1"])
    assert got == ["li1"] and texts == {} and skipped["code"] == "PLAN_002"
    # never sent to X yet: no rewording at all
    fresh = _vary_pool({})
    assert evergreen._varied(fresh, Rewording(), PLATFORMS, fresh.items[0], ["x1", "li1"]) == (["x1", "li1"], {}, None)
