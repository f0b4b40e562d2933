"""Progress: by bytes with speed, ETA and the episode, a line per transfer, on a terminal only."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import threading
import time

from faults.support import trickle

from conftest import COMMAND
from podsync.cli.demo_server import silent_mp3
from podsync.cli.progress import Progress
from podsync.tasks import Task, TaskState
from terminal import run_in_terminal

UNITS = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}


def amounts(screen: str) -> list[tuple[float, float]]:
    """Every ``X of Y`` the progress showed, in bytes."""
    found = re.findall(r"([\d.]+) (B|kB|MB|GB) of ([\d.]+) (B|kB|MB|GB)", screen)
    return [(float(a) * UNITS[u], float(b) * UNITS[v]) for a, u, b, v in found]


def test_a_terminal_sees_bytes_speed_eta_and_a_line_per_transfer(
    podsync, server, make_podcast
) -> None:
    podcast = make_podcast("slow", "Slow Show", 0)
    body = silent_mp3(12)
    for n, title in enumerate(("First long one", "Second long one")):
        episode = podcast.add_episode(title, time.time() - 60 * (n + 1), body=body)
        server.faults["/" + episode.path] = trickle(body, chunk=4096, pause=0.04)
    # The feed says the first is smaller than it is: the display must not overshoot.
    podcast.episodes[0] = dataclasses.replace(podcast.episodes[0], size=len(body) - 50_000)
    podcast.publish()
    podsync("subscribe", podcast.url)

    env = {**os.environ, "PODSYNC_HOME": str(podsync.home), "PYTHONPROFILEIMPORTTIME": "1"}
    screen = run_in_terminal([*COMMAND, "fetch"], env).text
    assert "Downloaded 2 episodes" in screen
    assert re.search(r"downloading [012]/2", screen)
    assert not re.search(r"downloading [3-9]/2", screen)
    assert re.search(r"[\d.]+ kB/s", screen)  # speed
    assert re.search(r"\d:\d\d:\d\d", screen)  # time left
    # Both transfers ran at once, each on its own line with its episode.
    assert "Slow Show — First long one" in screen and "Slow Show — Second long one" in screen
    assert not re.search(r"\n {20,}\S", screen)  # no row wrapped onto a second line
    seen = amounts(screen)
    assert seen and all(done <= total for done, total in seen), seen
    assert "| rich" in screen  # the library is loaded for a terminal...

    piped = podsync("fetch", env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"})
    assert "| rich" not in piped.stderr  # ...and not when nobody sees it


def test_piped_output_is_plain_lines(podsync, make_podcast) -> None:
    podsync("subscribe", make_podcast("news", "News", 3).url)
    result = podsync("fetch")
    for stream in (result.stdout, result.stderr):
        assert "\r" not in stream and "\x1b" not in stream


def _task(kind: str, size: int, label: str = "P — E") -> Task:
    return Task(f"{kind}:{label}", kind, label, lambda t: 0, size)


def test_counts_never_overshoot_and_a_stop_does_not_fill_the_bar() -> None:
    progress = Progress("x", stream=io.StringIO(), enabled=False)
    progress.start("downloading", 2, 200)
    small, cut = _task("copy", 100, "a"), _task("copy", 100, "b")

    def transfer(task: Task, nbytes: int, end: TaskState) -> None:
        task.state = TaskState.RUNNING
        progress.on_task(task)
        progress.on_bytes(nbytes)
        assert progress.bytes <= progress.total_bytes
        task.state = end
        progress.on_task(task)

    worker = threading.Thread(target=transfer, args=(small, 150, TaskState.DONE))
    worker.start()
    worker.join()
    assert (progress.done, progress.bytes, progress.total_bytes) == (1, 150, 250)
    transfer(cut, 30, TaskState.CANCELLED)  # Ctrl-C in the middle
    assert (progress.done, progress.bytes, progress.total_bytes) == (1, 180, 250)
    playlists = Task("finish:playlists", "finish", "playlists", lambda t: 0)
    playlists.state = TaskState.DONE
    progress.on_task(playlists)
    assert progress.line() == "downloading 1/2"  # a finishing step is not a transfer


def test_a_run_of_unknown_sizes_is_counted_in_episodes() -> None:
    progress = Progress("x", stream=io.StringIO(), enabled=False)
    progress.start("downloading", 1, 0)  # the feed gave no sizes
    task = _task("copy", 0)
    task.state = TaskState.RUNNING
    progress.on_task(task)
    progress.on_bytes(500)
    task.state = TaskState.DONE
    progress.on_task(task)
    assert (progress.done, progress.bytes, progress.total_bytes) == (1, 500, 0)


def test_a_conversion_is_counted_and_moves_the_bar_in_the_bytes_it_makes() -> None:
    progress = Progress("x", stream=io.StringIO(), enabled=False)
    progress.start("syncing clip", 2, 2000)  # the conversion's 1000 bytes, then their copy
    convert, copy = _task("convert", 1000), _task("copy", 1000)
    convert.state = TaskState.RUNNING
    progress.on_task(convert)
    for _ in range(4):
        progress.on_bytes(250)  # ffmpeg's reports, as the conversion goes on
        assert progress.bytes <= progress.total_bytes == 2000
    convert.state = TaskState.DONE
    progress.on_task(convert)
    assert (progress.line(), progress.bytes) == ("syncing clip 1/2", 1000)
    copy.state = TaskState.RUNNING
    progress.on_task(copy)
    progress.on_bytes(1000)
    copy.state = TaskState.DONE
    progress.on_task(copy)
    assert (progress.line(), progress.bytes, progress.total_bytes) == (
        "syncing clip 2/2",
        2000,
        2000,
    )
