"""The planner as a pure function: listings and filters in, a plan out."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from podsync.filters import (
    AnyOf,
    MaxAge,
    NewestPerPodcast,
    NotDone,
    NotIn,
    NotPlayed,
    NotWanted,
    PlanState,
    Played,
    Podcasts,
    Space,
    Uncached,
    Without,
)
from podsync.model import MediaItem
from podsync.plan import explain_uncached, make_plan
from podsync.sizes import Budget

DAY = 86400.0


def item(key: str, podcast: str = "A", published: float = 0.0, where: str = "src") -> MediaItem:
    return MediaItem(key, podcast, f"title {key}", published, f"{where}/{key}.mp3", 100)


def keys(items) -> list[str]:
    return [i.key for i in items]


COPY = [NotDone(), NewestPerPodcast(2)]
DELETE = [NotWanted()]


def test_copies_newest_n_per_podcast_newest_first() -> None:
    source = [
        item("a1", "A", 1 * DAY),
        item("a2", "A", 2 * DAY),
        item("a3", "A", 3 * DAY),
        item("b1", "B", 1.5 * DAY),
    ]
    plan = make_plan(source, [], COPY, DELETE, PlanState())
    assert keys(plan.copies) == ["a3", "a2", "b1"]
    assert plan.deletes == ()
    assert plan.copy_bytes == 300


def test_nothing_to_do_when_target_holds_the_selection() -> None:
    source = [item("a1", published=1), item("a2", published=2)]
    target = [item("a1", published=1, where="dev"), item("a2", published=2, where="dev")]
    plan = make_plan(source, target, COPY, DELETE, PlanState())
    assert plan.empty and plan.kept == 2
    assert plan.describe("cache", "stick") == ["nothing to do: stick is up to date with cache"]


def test_new_episode_pushes_out_the_oldest() -> None:
    source = [item("a1", published=1), item("a2", published=2), item("a3", published=3)]
    target = [item("a1", published=1, where="dev"), item("a2", published=2, where="dev")]
    plan = make_plan(source, target, COPY, DELETE, PlanState())
    assert keys(plan.copies) == ["a3"]
    assert [(i.location, reason) for i, reason in plan.deletes] == [
        ("dev/a1.mp3", "keep: not among the newest 2 of A")
    ]
    assert plan.kept == 1


def test_episode_only_on_target_still_competes() -> None:
    # a2 left the source (cache) but is among the newest two: it stays.
    source = [item("a1", published=1), item("a3", published=3)]
    target = [item("a2", published=2, where="dev")]
    plan = make_plan(source, target, COPY, DELETE, PlanState())
    assert keys(plan.copies) == ["a3"] and plan.deletes == ()


def test_done_episodes_are_not_copied_again() -> None:
    source = [item("a1", published=1), item("a2", published=2), item("a3", published=3)]
    plan = make_plan(source, [], COPY, DELETE, PlanState(done={"a3"}))
    assert keys(plan.copies) == ["a2", "a1"]


def test_no_delete_filters_means_no_deletes() -> None:
    target = [item("x", published=1, where="dev")]
    plan = make_plan([], target, COPY, [], PlanState())
    assert plan.deletes == ()


def test_plan_describe_lists_every_action() -> None:
    plan = make_plan(
        [item("a2", published=2)],
        [item("a1", published=1, where="dev")],
        [NewestPerPodcast(1)],
        DELETE,
        PlanState(),
    )
    assert plan.describe("cache", "stick") == [
        "delete  dev/a1.mp3  (keep: not among the newest 1 of A)",
        "copy    A — title a2",
    ]


def keyed_item(key: str, published: float) -> MediaItem:
    """An item whose podcast follows from its key, as it does for real episodes."""
    return item(key, "ABC"[ord(key[-1]) % 3], published)


items_strategy = st.lists(
    st.builds(keyed_item, st.text("abcdef", min_size=1, max_size=3), st.floats(0, 100)),
    max_size=25,
    unique_by=lambda i: i.key,
)


@given(
    items_strategy,
    items_strategy,
    st.integers(1, 5),
    st.sets(st.text("abcdef", min_size=1, max_size=3)),
)
def test_properties(source, target_src, keep, done) -> None:
    target = [item(i.key, i.podcast, i.published, "dev") for i in target_src]
    copy_filters = [NotDone(), NewestPerPodcast(keep)]
    plan = make_plan(source, target, copy_filters, DELETE, PlanState(done=done))
    held = {i.key for i in target}
    # Copies come from the source, are never already held and never done; deletes are held.
    assert {i.key for i in plan.copies} <= {i.key for i in source} - held - done
    assert {i.location for i, _ in plan.deletes} <= {i.location for i in target}
    assert not {i.key for i in plan.copies} & {i.key for i, _ in plan.deletes}
    # Executing the plan, then planning again, gives an empty plan.
    doomed = {i.key for i, _ in plan.deletes}
    after = [i for i in target if i.key not in doomed] + [
        item(i.key, i.podcast, i.published, "dev") for i in plan.copies
    ]
    again = make_plan(source, after, copy_filters, DELETE, PlanState(done=done))
    assert again.empty
    # No podcast ends up with more than ``keep`` episodes.
    per_podcast: dict[str, int] = {}
    for i in after:
        per_podcast[i.podcast] = per_podcast.get(i.podcast, 0) + 1
    assert all(count <= keep for count in per_podcast.values())


# Each filter of the device issue, shown in a plan.


def test_max_age_filter() -> None:
    now = 100 * DAY
    source = [
        item("new", published=now - 2 * DAY),
        item("old", published=now - 40 * DAY),
        item("undated", published=0),
    ]
    plan = make_plan(source, [], [MaxAge(30), NewestPerPodcast(5)], DELETE, PlanState(now=now))
    assert sorted(keys(plan.copies)) == ["new", "undated"]


def test_include_and_exclude_podcasts() -> None:
    source = [
        item("t1", "Tech Talk", 3),
        item("t2", "Tech News", 2),
        item("c1", "Cooking", 1),
        item("n1", "Nightly Tech", 4),
    ]
    only_tech = Podcasts(include=("tech*",))
    plan = make_plan(source, [], [only_tech, NewestPerPodcast(5)], DELETE, PlanState())
    assert keys(plan.copies) == ["t1", "t2"]
    no_news = Podcasts(include=("*tech*",), exclude=("*news",))
    plan = make_plan(source, [], [no_news, NewestPerPodcast(5)], DELETE, PlanState())
    assert keys(plan.copies) == ["n1", "t1"]
    # An excluded podcast already on the player is deleted, naming the pattern.
    held = [item("c1", "Cooking", 1, where="dev")]
    plan = make_plan(source, held, [no_news, NewestPerPodcast(5)], DELETE, PlanState())
    assert [(i.key, reason) for i, reason in plan.deletes] == [
        ("c1", "include: matches none of '*tech*'")
    ]


def test_played_episodes_are_deleted_and_not_copied() -> None:
    source = [item("a1", published=1), item("a2", published=2), item("a3", published=3)]
    held = [item("a2", published=2, where="dev")]
    plan = make_plan(
        source,
        held,
        [NotPlayed(), NewestPerPodcast(2)],
        [Played(), NotWanted()],
        PlanState(played={"a2", "a3"}),
    )
    assert [(i.key, reason) for i, reason in plan.deletes] == [("a2", "played")]
    assert keys(plan.copies) == ["a1"]


def test_uncached_episodes_are_deleted_only_when_asked() -> None:
    held = [item("gone", published=5, where="dev"), item("kept", published=4, where="dev")]
    source = [item("kept", published=4)]
    assert make_plan(source, held, COPY, DELETE, PlanState()).deletes == ()
    plan = make_plan(source, held, COPY, [Uncached(), *DELETE], PlanState())
    assert [(i.key, reason) for i, reason in plan.deletes] == [("gone", "no longer in the cache")]


def sized(key: str, size: int, published: float, where: str = "src") -> MediaItem:
    return MediaItem(key, "A", key, published, f"{where}/{key}", size)


def test_budget_in_bytes_fills_newest_first_and_reports_the_rest() -> None:
    source = [sized(f"e{n}", 300, n) for n in range(5)]
    space = Space(total=10_000, free=10_000, budget=Budget.parse("1000"))
    plan = make_plan(source, [], [NewestPerPodcast(5)], DELETE, PlanState(space=space))
    assert keys(plan.copies) == ["e4", "e3", "e2"]
    assert [(i.key, reason) for i, reason in plan.unfit] == [
        ("e1", "needs 300 B, 100 B left"),
        ("e0", "needs 300 B, 100 B left"),
    ]


def test_budget_counts_what_podsync_already_holds_and_frees() -> None:
    held = [sized("old", 600, 0, "dev"), sized("mid", 300, 1, "dev")]
    source = [sized("mid", 300, 1), sized("new", 500, 2), sized("newer", 400, 3)]
    space = Space(total=10_000, free=10_000, budget=Budget.parse("1000"))
    plan = make_plan(source, held, [NewestPerPodcast(4)], DELETE, PlanState(space=space))
    # Everything stays wanted: 1000 - 900 held = 100 B left, nothing fits.
    assert plan.copies == () and keys(i for i, _ in plan.unfit) == ["newer", "new"]
    plan = make_plan(source, held, [NewestPerPodcast(3)], DELETE, PlanState(space=space))
    # keep 3: "old" goes and frees its 600 B; "newer" (400) fits, then "new" (500) does not.
    assert keys(i for i, _ in plan.deletes) == ["old"]
    assert keys(plan.copies) == ["newer"] and keys(i for i, _ in plan.unfit) == ["new"]


def test_keep_a_share_free_and_the_reserve() -> None:
    source = [sized(f"e{n}", 100, n) for n in range(10)]
    space = Space(total=1000, free=700, reserve=50, budget=Budget.parse("20% free"))
    plan = make_plan(source, [], [NewestPerPodcast(10)], DELETE, PlanState(space=space))
    assert len(plan.copies) == 5  # 700 free - 200 kept free = 500
    space = Space(total=1000, free=700, reserve=250)
    plan = make_plan(source, [], [NewestPerPodcast(10)], DELETE, PlanState(space=space))
    assert len(plan.copies) == 4  # 700 free - 250 reserve = 450


def test_sizes_round_up_to_the_allocation_unit() -> None:
    source = [sized(f"e{n}", 1500, n) for n in range(4)]
    space = Space(total=100_000, free=6000, block=1024)
    plan = make_plan(source, [], [NewestPerPodcast(10)], DELETE, PlanState(space=space))
    assert len(plan.copies) == 2  # each takes 2048 B on disk, not 1500


def test_an_episode_deleted_as_uncached_gives_its_place_up() -> None:
    # keep 1: the newest held one left the cache and goes; the cached one takes its place
    # now, rather than being deleted as unwanted and copied back at the next push.
    held = [item("gone", published=2, where="dev"), item("old", published=1, where="dev")]
    source = [item("old", published=1), item("older", published=0)]
    plan = make_plan(source, held, [NewestPerPodcast(1)], [Uncached(), NotWanted()], PlanState())
    assert [(i.key, reason) for i, reason in plan.deletes] == [("gone", "no longer in the cache")]
    assert plan.copies == () and plan.kept == 1
    plan = make_plan(source, held[:1], [NewestPerPodcast(1)], [Uncached()], PlanState())
    assert keys(plan.copies) == ["old"]


def test_every_episode_left_off_has_the_reason_of_the_filter_that_dropped_it() -> None:
    day = 86400.0
    source = [
        item("a1", "A", 10 * day),
        item("a2", "A", 9 * day),
        item("a3", "A", 8 * day),
        item("old", "A", 1 * day),
        item("p", "A", 9.5 * day),
        item("b", "B", 10 * day),
        item("gone", "C", 10 * day),
    ]
    filters = [
        NotIn(frozenset({"gone"}), "unsubscribed"),
        Without(frozenset({"B"}), "sync = false"),
        MaxAge(5, (("A", 3),)),
        NotPlayed(),
        NewestPerPodcast(3, (("A", 1),)),
    ]
    state = PlanState(now=11 * day, played=frozenset({"p"}))
    plan = make_plan(source, [item("a3", "A", 8 * day, where="dev")], filters, DELETE, state)
    assert keys(plan.copies) == ["a1"]
    assert [(i.location, r) for i, r in plan.deletes] == [
        ("dev/a3.mp3", "keep: not among the newest 1 of A")
    ]
    assert {i.key: r for i, r in plan.skipped} == {
        "a2": "keep: not among the newest 1 of A",
        "old": "max_age: published more than 3 days ago",
        "p": "played",
        "b": "sync = false",
        "gone": "unsubscribed",
    }
    # Known from a feed, not cached: explained by the same filters over everything.
    known = [*source, item("new", "A", 10.5 * day), item("b2", "B", 1 * day)]
    explained = explain_uncached(known, {i.key for i in source}, plan, filters, state)
    assert dict((i.key, r) for i, r in explained.skipped)["b2"] == "sync = false"
    assert dict((i.key, r) for i, r in explained.skipped)["new"] == (
        "not downloaded yet (podsync fetch)"
    )
    # AnyOf passes what any chain passes.
    either = AnyOf(((Without(frozenset({"A"}), "x"),), (NewestPerPodcast(1),)))
    assert sorted(i.key for i in either.select(source, state)) == ["a1", "b", "gone"]
