"""Player profiles and conversion, end to end: real tones made by ffmpeg, real FAT players."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import mutagen
import pytest

from conftest import COMMAND, DAY, Podcast, media_files
from podsync.cli.demo_server import SampleEpisode
from podsync.player.ownership import read_identity
from podsync.steps.convert import Conversion, Meter, convert_file, duration
from podsync.steps.ffmpeg import LOUDNESS_TARGET
from podsync.stores.base import Transfer
from terminal import run_in_terminal

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="needs ffmpeg (scripts/setup --test installs it)"
)

FFMPEG = ("ffmpeg", "-loglevel", "error", "-y")


def sine(seconds: float) -> str:
    return f"sine=frequency=440:duration={seconds:g}"


def tone(folder: Path, ext: str, seconds: float, channels: int = 1) -> bytes:
    """A 440 Hz tone (not silence: its loudness can be measured) as an ``ext`` file."""
    out = folder / f"tone-{seconds:g}-{channels}.{ext}"
    if not out.exists():
        subprocess.run(
            [*FFMPEG, "-f", "lavfi", "-i", sine(seconds), "-ac", str(channels), str(out)],
            check=True,
        )
    return out.read_bytes()


def add(podcast: Podcast, title: str, ext: str, body: bytes, age_days: float) -> None:
    number = len(podcast.episodes) + 1
    path = f"{podcast.slug}/{number}.{ext}"
    podcast.server.add(path, body)
    published = time.time() - age_days * DAY
    podcast.episodes.append(
        SampleEpisode(f"{podcast.slug}-{number}", title, published, path, len(body))
    )
    podcast.publish()


def with_image(podcast: Podcast, folder: Path) -> None:
    """Give the feed an ``itunes:image``: a 600×400 PNG, bigger than a small screen."""
    image = folder / "cover.png"
    subprocess.run(
        [*FFMPEG, "-f", "lavfi", "-i", "color=c=red:s=600x400", "-frames:v", "1", str(image)],
        check=True,
    )
    url = podcast.server.add(f"{podcast.slug}/cover.png", image.read_bytes(), "image/png")
    feed = podcast.server.resources[f"/{podcast.slug}/feed.xml"]
    feed.body = feed.body.replace(b"<channel>", f'<channel><itunes:image href="{url}"/>'.encode())


def config(home: Path, text: str) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(text)


def converted(home: Path) -> dict[str, int]:
    """The files in the cache's conversions (its settings folders): name → mtime."""
    root = home / "cache" / "converted"
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.glob("*/*") if p.is_file()}


def loudness(path: Path) -> float:
    """Integrated loudness in LUFS, measured with ffmpeg's ebur128 filter."""
    result = subprocess.run(
        ["ffmpeg", "-nostats", "-i", str(path), "-af", "ebur128", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = result.stderr[result.stderr.rfind("Summary:") :]
    return float(re.search(r"I:\s+(-?[0-9.]+) LUFS", summary).group(1))


def test_profiles_convert_for_an_mp3_player_and_not_for_rockbox(
    podsync, make_podcast, fat_player, tmp_path: Path, home: Path
) -> None:
    podcast = make_podcast("talk", "Talk Show", 0)
    add(podcast, "In Opus", "opus", tone(tmp_path, "opus", 3), 1)
    add(podcast, "In M4A", "m4a", tone(tmp_path, "m4a", 3), 2)
    with_image(podcast, tmp_path)
    clip, rock = fat_player(name="clip"), fat_player(name="rock")
    podsync("device", "add", str(clip), "--name", "clip", "--profile", "mp3-player")
    podsync("device", "add", str(rock), "--name", "rock", "--profile", "rockbox")
    podsync("subscribe", podcast.url)
    podsync("fetch")

    plan = podsync("push", "clip", "--dry-run").stdout
    assert "convert Talk Show — In Opus  (opus → mp3 128k)" in plan
    assert "convert Talk Show — In M4A  (m4a → mp3 128k)" in plan
    assert "converting 2" in plan
    assert not converted(home)  # a dry run converts nothing
    planned = json.loads(podsync("push", "clip", "--dry-run", "--json").stdout)["pushes"][0]
    # Planned at the converted size, estimated from the bitrate and the duration (3 s):
    # what the player will get, not the cache's file.
    estimate = 128000 // 8 * 3 * 102 // 100 + 4096
    assert [(c["ext"], c["convert"]) for c in planned["plan"]["copy"]] == [
        ("mp3", "opus → mp3 128k"),
        ("mp3", "m4a → mp3 128k"),
    ]
    assert all(abs(c["size"] - estimate) < estimate // 50 for c in planned["plan"]["copy"])

    out = podsync("push", "clip").stdout
    assert "copied 2" in out and "converted 2" in out, out
    files = media_files(clip)
    assert sorted(Path(f).suffix for f in files) == [".mp3", ".mp3"]
    for name in files:
        audio = mutagen.File(clip / name, easy=True)
        assert type(audio).__name__ == "EasyMP3"
        assert audio["album"] == ["Talk Show"]
        assert abs(audio.info.length - 3) < 0.2
    manifest = json.loads((clip / ".podsync" / "manifest.json").read_text())
    # The converted copies carry podsync's identity, so a lost manifest can be rebuilt.
    assert {read_identity(clip / p).key for p in manifest["files"]} == {
        e["key"] for e in manifest["files"].values()
    }
    assert {e["ext"] for e in manifest["files"].values()} == {"mp3"}
    made = converted(home)
    assert len(made) == 2

    out = podsync("push", "rock").stdout
    assert "copied 2" in out and "converted" not in out
    assert sorted(Path(f).suffix for f in media_files(rock)) == [".m4a", ".opus"]
    folder = rock / "Podcasts" / "Talk Show"
    cover = folder / "cover.jpg"
    assert cover.read_bytes()[:3] == b"\xff\xd8\xff"
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", cover],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "300,200"  # sized for a small screen, aspect kept
    opus = mutagen.File(next(folder.glob("*.opus")))
    assert opus["metadata_block_picture"]
    m4a = mutagen.File(next(folder.glob("*.m4a")))
    assert bytes(m4a.tags["covr"][0]) == cover.read_bytes()

    again = podsync("push", "clip").stdout
    assert "up to date" in again
    other = tmp_path / "other-mp3-player"
    other.mkdir()
    podsync("device", "add", str(other), "--name", "other", "--profile", "mp3-player")
    out = podsync("push", "other").stdout
    assert "copied 2" in out and "converted" not in out  # the cache's conversions, reused
    assert converted(home) == made

    config(home, '[devices.clip.player]\nbitrate = "64k"\n')
    podsync("push", "clip")  # (what is on the player stays as it is)
    assert converted(home) == made  # "other" still wants them
    podsync("device", "remove", "other")
    podsync("push", "clip")
    assert converted(home) == {}  # no player wants them any more


def test_speed_and_loudness(podsync, make_podcast, fat_player, tmp_path: Path, home: Path) -> None:
    podcast = make_podcast("fast", "Fast", 0)
    add(podcast, "Quiet tone", "mp3", tone(tmp_path, "mp3", 6, channels=2), 1)
    player = fat_player()
    config(home, '[player]\nspeed = 1.5\nnormalize = true\nbitrate = "64k"\nmono = true\n')
    podsync("device", "add", str(player), "--name", "fat")
    podsync("subscribe", podcast.url)
    podsync("fetch")
    [cached] = (home / "cache" / "episodes").rglob("*.mp3")
    assert abs(loudness(cached) - LOUDNESS_TARGET) > 3  # so the test shows a change

    plan = podsync("push", "--dry-run").stdout
    assert "mono" in plan and "1.5× speed, loudness -16 LUFS)" in plan, plan
    podsync("push")
    [copy] = media_files(player)
    assert mutagen.File(cached).info.channels == 2
    assert mutagen.File(player / copy).info.channels == 1
    length = mutagen.File(player / copy).info.length
    assert abs(length - 4) < 0.25, length  # 6 s at 1.5×
    assert abs(loudness(player / copy) - LOUDNESS_TARGET) < 1


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_a_push_stopped_mid_conversion_leaves_no_partial_file(
    podsync, make_podcast, fat_player, tmp_path: Path, home: Path, how: signal.Signals
) -> None:
    podcast = make_podcast("long", "Long", 0)
    add(podcast, "Long tone", "opus", tone(tmp_path, "opus", 30), 1)
    player = fat_player()
    config(home, "[player]\nnormalize = true\n")
    podsync("device", "add", str(player), "--name", "fat", "--profile", "mp3-player")
    podsync("subscribe", podcast.url)
    podsync("fetch")

    push = podsync.popen("push")
    ffmpeg = None
    while ffmpeg is None and push.poll() is None:
        ffmpeg = next(iter(children(push.pid, "ffmpeg")), None)
    assert ffmpeg is not None, "the push ended before it converted"
    os.kill(push.pid, how)
    _out, err = push.communicate(timeout=60)
    if how == signal.SIGINT:  # cancelled: podsync stops its ffmpeg before it exits
        assert push.returncode == 130 and "interrupted" in err and "Traceback" not in err
        assert not Path(f"/proc/{ffmpeg}").exists()
    else:
        wait_gone(ffmpeg)  # the orphan stops at its next progress report

    assert not converted(home)
    assert not media_files(player)
    assert not [p for p in player.rglob("*") if p.name.endswith(".part")]

    out = podsync("push").stdout
    assert "copied 1" in out and "converted 1" in out
    assert len(converted(home)) == 1
    assert [Path(f).suffix for f in media_files(player)] == [".mp3"]


def test_without_ffmpeg_an_unplayable_episode_is_skipped_with_one_line(
    podsync, make_podcast, player: Path, tmp_path: Path
) -> None:
    podcast = make_podcast("mix", "Mix Café", 1)
    add(podcast, "In Opus", "opus", tone(tmp_path, "opus", 1), 0.5)
    podsync("device", "add", str(player), "--name", "clip", "--profile", "mp3-player")
    podsync("subscribe", podcast.url)
    podsync("fetch")
    empty = tmp_path / "no-tools"
    empty.mkdir()

    result = podsync("push", env={**os.environ, "PATH": str(empty)})
    lines = [line for line in result.stderr.splitlines() if "ffmpeg" in line]
    assert lines == [
        f"podsync: warning: clip ({player}): ffmpeg is not installed: 1 episode in formats this "
        "player cannot play (opus) are not copied"
    ]
    [copied] = media_files(player)
    assert copied.startswith("Podcasts/Mix Cafe/") and copied.endswith(".mp3")  # ascii_names
    assert mutagen.File(player / copied, easy=True)["album"] == ["Mix Café"]  # tags keep it
    assert "Traceback" not in result.stderr


def children(pid: int, name: str) -> list[int]:
    """The ids of ``pid``'s child processes called ``name``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in status and status.startswith(f"Name:\t{name}\n"):
                found.append(int(entry.name))
    return found


def wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 60
    while Path(f"/proc/{pid}").exists():
        assert time.monotonic() < deadline, "ffmpeg outlived the push"
        time.sleep(0.05)


def planned_sizes(podsync, device: str) -> list[int]:
    report = json.loads(podsync("push", device, "--dry-run", "--json").stdout)
    return [c["size"] for c in report["pushes"][0]["plan"]["copy"]]


def one_opus_episode_for_an_mp3_player(podsync, make_podcast, player: Path, tmp_path: Path):
    """A podcast of one 3 s Opus episode, fetched; the player ``clip`` wants MP3."""
    podcast = make_podcast("talk", "Talk Show", 0)
    add(podcast, "In Opus", "opus", tone(tmp_path, "opus", 3), 1)
    podsync("device", "add", str(player), "--name", "clip", "--profile", "mp3-player")
    podsync("subscribe", podcast.url)
    podsync("fetch")


def test_a_second_push_does_not_read_unchanged_episodes_again(
    podsync, make_podcast, player: Path, tmp_path: Path, home: Path
) -> None:
    one_opus_episode_for_an_mp3_player(podsync, make_podcast, player, tmp_path)
    [cached] = (home / "cache" / "episodes").rglob("*.opus")
    estimate = 128000 // 8 * 3 * 102 // 100 + 4096
    [first] = planned_sizes(podsync, "clip")
    assert abs(first - estimate) < estimate // 50  # from the duration mutagen read

    # The file becomes unreadable as audio, its size, mtime and inode unchanged: a push
    # that read it again would plan it at the cache's size (mutagen cannot tell a length).
    info = cached.stat()
    with open(cached, "r+b") as handle:
        handle.write(b"\0" * info.st_size)
    os.utime(cached, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert planned_sizes(podsync, "clip") == [first]

    os.utime(cached, ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))  # now it changed
    assert planned_sizes(podsync, "clip") == [info.st_size]


def test_remembered_durations_that_are_damaged_are_read_again(
    podsync, make_podcast, player: Path, tmp_path: Path, home: Path
) -> None:
    one_opus_episode_for_an_mp3_player(podsync, make_podcast, player, tmp_path)
    first = planned_sizes(podsync, "clip")
    remembered = home / "cache" / "converted" / "durations.json"
    assert len(json.loads(remembered.read_text())) == 1
    for damage in (b"{not json", b"[1, 2]", b'{"x": [1, 2, "three", 4]}'):
        remembered.write_bytes(damage)
        assert planned_sizes(podsync, "clip") == first
        [(_size, _mtime, _inode, seconds)] = json.loads(remembered.read_text()).values()
        assert seconds > 2.9  # read again and remembered anew
    podsync("unsubscribe", "Talk Show")
    podsync("push", "clip", "--dry-run")
    assert json.loads(remembered.read_text()) == {}  # forgotten with the cached file


@pytest.mark.parametrize(
    ("normalize", "speed"),
    [(False, 1.0), (True, 1.5)],
    ids=["convert", "measure-then-convert-1.5x"],
)
def test_a_conversion_reports_its_progress_as_ffmpeg_goes(
    tmp_path: Path, normalize: bool, speed: float
) -> None:
    source = tmp_path / "long.flac"  # five minutes: ffmpeg reports every half second meanwhile
    subprocess.run([*FFMPEG, "-f", "lavfi", "-i", sine(300), "-ac", "1", str(source)], check=True)
    dest = tmp_path / "converted" / "long.mp3"
    amount = 1_000_000
    seen: list[tuple[int, bool]] = []  # (the total so far, whether the file was there yet)

    def on_bytes(n: int) -> None:
        seen.append(((seen[-1][0] if seen else 0) + n, dest.exists()))

    transfer = Transfer(on_bytes=on_bytes)
    conversion = Conversion("mp3", "64k", speed=speed, normalize=normalize)
    meter = Meter(transfer, amount, duration(source), conversion.speed)
    convert_file(shutil.which("ffmpeg"), conversion, source, dest, transfer, meter)

    totals = [total for total, _there in seen]
    assert totals == sorted(totals) and totals[-1] == amount == transfer.done
    during = [total for total, there in seen if not there]
    assert any(0 < total < amount for total in during), seen  # the bar moved while it ran
    # ffmpeg's own last report (at the output's length: the source's over the speed)
    # takes it to the end, or all but the encoder's last few milliseconds.
    assert max(during) >= amount * 0.98, seen
    if normalize:  # the measuring pass is a third of the work
        assert any(total <= amount // 3 for total in during), seen
    assert abs(mutagen.File(dest).info.length - 300 / speed) < 1


def test_a_conversion_of_unknown_length_counts_all_at_the_end(tmp_path: Path) -> None:
    source = tmp_path / "short.flac"
    subprocess.run([*FFMPEG, "-f", "lavfi", "-i", sine(2), str(source)], check=True)
    seen: list[int] = []
    transfer = Transfer(on_bytes=seen.append)
    dest = tmp_path / "short.mp3"
    meter = Meter(transfer, 5000, None)
    convert_file(shutil.which("ffmpeg"), Conversion("mp3"), source, dest, transfer, meter)
    assert seen == [5000] and dest.exists()


def test_a_terminal_shows_a_conversion_moving(
    podsync, make_podcast, player: Path, tmp_path: Path, home: Path
) -> None:
    podcast = make_podcast("long", "Long Talk", 0)
    source = tmp_path / "long.flac"
    subprocess.run([*FFMPEG, "-f", "lavfi", "-i", sine(300), "-ac", "1", str(source)], check=True)
    add(podcast, "Five minutes", "flac", source.read_bytes(), 1)
    podsync("device", "add", str(player), "--name", "clip", "--profile", "mp3-player")
    podsync("subscribe", podcast.url)
    podsync("fetch")

    env = {**os.environ, "PODSYNC_HOME": str(home)}
    screen = run_in_terminal([*COMMAND, "push"], env, columns=120).text
    assert "converted 1" in screen
    assert "converting Long Talk — Five minutes" in screen
    during = re.findall(r"syncing clip 0/2\s.*?([\d.]+) (kB|MB) of ([\d.]+) (kB|MB)", screen)
    assert any(float(done) > 0 for done, _u, _total, _v in during), screen  # it moved
