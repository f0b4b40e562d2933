"""The planner as a pure function: listings and filters in, a plan out."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from podsync.filters import NewestPerPodcast, NotDone, NotWanted, PlanState
from podsync.model import MediaItem
from podsync.plan import make_plan

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
        ("dev/a1.mp3", "no longer among the episodes to keep")
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
        "delete  dev/a1.mp3  (no longer among the episodes to keep)",
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
