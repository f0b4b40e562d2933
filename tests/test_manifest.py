"""The ownership manifest on the player: journal recovery and safe failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podsync.player.manifest import Entry, Manifest


def entry(key: str) -> Entry:
    return Entry(key, 3, "Pod", f"title {key}", 1.0, "mp3")


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path)
    manifest.intend_add("P/a.mp3", entry("a"))
    (tmp_path / "P").mkdir()
    (tmp_path / "P" / "a.mp3").write_bytes(b"abc")
    manifest.mark_done("z")
    manifest.save()
    assert list((tmp_path / ".podsync" / "journal").iterdir()) == []
    loaded = Manifest.load(tmp_path)
    assert loaded.files == {"P/a.mp3": entry("a")} and loaded.done == {"z"}


def test_journal_recovers_a_push_cut_short(tmp_path: Path) -> None:
    (tmp_path / "P").mkdir()
    manifest = Manifest(tmp_path)
    manifest.intend_add("P/renamed.mp3", entry("a"))
    (tmp_path / "P" / "renamed.mp3").write_bytes(b"abc")  # the rename happened
    manifest.intend_add("P/never.mp3", entry("b"))  # the unplug came before the rename
    manifest.forget("P/gone.mp3")
    manifest.own("P/list.m3u8")
    manifest.mark_done("k9")
    torn = tmp_path / ".podsync" / "journal" / "000099.json"
    torn.write_text('{"op": "add", "path": "P/torn')  # an entry cut by the unplug
    # no save(): as if the player was pulled out here
    loaded = Manifest.load(tmp_path)
    assert loaded.files == {"P/renamed.mp3": entry("a")}
    assert loaded.others == {"P/list.m3u8"} and loaded.done == {"k9"}


def test_corrupt_manifest_owns_nothing(tmp_path: Path) -> None:
    (tmp_path / ".podsync").mkdir()
    (tmp_path / ".podsync" / "manifest.json").write_text("{not json")
    loaded = Manifest.load(tmp_path)
    assert loaded.files == {} and "unreadable" in (loaded.problem or "")


def test_manifest_is_plain_json(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path)
    manifest.save()
    data = json.loads((tmp_path / ".podsync" / "manifest.json").read_text())
    assert data == {"format": 1, "files": {}, "done": [], "others": []}


def test_finished_keys_survive_either_file_and_stay_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import podsync.player.manifest as manifest_module

    monkeypatch.setattr(manifest_module, "MAX_FINISHED", 3)
    manifest = Manifest(tmp_path)
    manifest.mark_done("a", "b")
    manifest.mark_done("c", "d")
    manifest.save()
    assert Manifest.load(tmp_path).done == {"b", "c", "d"}  # the oldest went
    (tmp_path / ".podsync" / "manifest.json").write_text("{ torn")
    assert Manifest.load(tmp_path).done == {"b", "c", "d"}
    manifest = Manifest.load(tmp_path)
    manifest.save()
    (tmp_path / ".podsync" / "finished.json").unlink()
    assert Manifest.load(tmp_path).done == {"b", "c", "d"}


def test_a_later_mark_wins(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path)
    manifest.mark_done("a")
    finished_at = manifest.finished["a"]
    manifest.reopen({"a": finished_at - 10})  # an older "not played": finished stays
    assert manifest.done == {"a"}
    manifest.reopen({"a": finished_at + 10})
    assert manifest.done == set() and manifest.reopened == {"a": finished_at + 10}
    loaded = Manifest.load(tmp_path)  # from the journal
    assert loaded.done == set() and loaded.reopened == {"a": finished_at + 10}
    loaded.save()
    loaded = Manifest.load(tmp_path)
    assert loaded.done == set() and loaded.reopened == {"a": finished_at + 10}


def test_a_batch_is_one_journal_record_and_claims_only_renamed_files(tmp_path: Path) -> None:
    (tmp_path / "P").mkdir()
    manifest = Manifest(tmp_path)
    manifest.intend_adds([(f"P/{k}.mp3", entry(k)) for k in "abc"])
    assert len(list((tmp_path / ".podsync" / "journal").iterdir())) == 1
    assert manifest.files == {}  # nothing is listed before its rename
    for k in "ac":  # the unplug came after two of the three renames
        (tmp_path / "P" / f"{k}.mp3").write_bytes(b"abc")
    loaded = Manifest.load(tmp_path)
    assert loaded.files == {"P/a.mp3": entry("a"), "P/c.mp3": entry("c")}


def test_the_journal_of_an_older_version_is_still_read(tmp_path: Path) -> None:
    """Older podsync wrote one journal file per change; a player may still hold them."""
    (tmp_path / "P").mkdir()
    (tmp_path / "P" / "old.mp3").write_bytes(b"abc")
    journal = tmp_path / ".podsync" / "journal"
    journal.mkdir(parents=True)
    old = {"key": "o", "size": 3, "podcast": "Pod", "title": "title o", "published": 1.0}
    (journal / "000001.json").write_text(
        json.dumps({"op": "add", "path": "P/old.mp3", "entry": {**old, "ext": "mp3"}})
    )
    (journal / "000002.json").write_text(json.dumps({"op": "done", "path": "k1"}))
    (journal / "000003.json").write_text('{"op": "batch", "ops": [{"op": "add"')  # torn
    loaded = Manifest.load(tmp_path)
    assert loaded.files == {"P/old.mp3": entry("o")} and loaded.done == {"k1"}
    loaded.intend_adds([("P/new.mp3", entry("n"))])  # numbered after the old records
    assert sorted(p.name for p in journal.iterdir())[-1] == "000004.json"
    loaded.save()
    assert list(journal.iterdir()) == []
