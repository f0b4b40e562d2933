"""``podsync demo``: the whole path offline, through the real command."""

from __future__ import annotations

from pathlib import Path

from conftest import media_files


def test_demo_fills_the_demo_player(podsync, tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    out = podsync("demo", "--dir", str(demo)).stdout
    assert "Subscribed to Silent Science (7 episodes)" in out
    assert "Downloaded 8 episodes" in out
    assert "demo-player" in out and "copied 8" in out
    files = media_files(demo / "player")
    assert len(files) == 8
    assert len([f for f in files if f.startswith("Podcasts/Silent Science/")]) == 5
    assert len([f for f in files if f.startswith("Podcasts/Quiet Talk/")]) == 3
    for f in files:
        assert f in out  # the summary says what landed where
        assert (demo / "player" / f).read_bytes()[:3] == b"ID3"  # tagged on the player

    # Running it again in the same folder starts over cleanly.
    again = podsync("demo", "--dir", str(demo)).stdout
    assert "copied 8" in again
    assert media_files(demo / "player") == files


def test_demo_refuses_a_folder_with_other_things_in_it(podsync, tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = podsync("demo", "--dir", str(tmp_path), check=2)
    assert "not empty and holds no earlier demo" in result.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_demo_episodes_are_real_mp3(tmp_path: Path, podsync) -> None:
    import mutagen.mp3

    podsync("demo", "--dir", str(tmp_path / "d"))
    first = next((tmp_path / "d" / "player").rglob("*.mp3"))
    audio = mutagen.mp3.MP3(first)
    assert 1.5 < audio.info.length < 2.5 and audio.info.sample_rate == 44100
    assert str(audio.tags["TALB"]) == first.parent.name
    assert str(audio.tags["TCON"]) == "Podcast"
