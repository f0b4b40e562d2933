"""The TaskManager and SyncManager doing real copies into a real device folder."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from podsync.errors import SkipItem
from podsync.fileio import copy_file
from podsync.filters import NewestPerPodcast, NotWanted, PlanState
from podsync.model import MediaItem
from podsync.player.manifest import Manifest
from podsync.stores.base import MediaStore, Transfer
from podsync.stores.device import DeviceStore
from podsync.sync import SyncManager
from podsync.tasks import TaskManager, TaskState


class FolderStore(MediaStore):
    """A read-only source of real files; ``delay`` slows every 1 kB chunk."""

    name = "folder"

    def __init__(self, root: Path, items: list[MediaItem], delay: float = 0.0) -> None:
        self.root, self.items, self.delay = root, items, delay

    def list(self) -> list[MediaItem]:
        return list(self.items)

    def export(self, item: MediaItem, dest: Path, transfer: Transfer) -> None:
        if not self.delay:
            copy_file(self.root / item.location, dest, transfer.advance)
            return
        data = (self.root / item.location).read_bytes()
        with open(dest, "wb") as out:
            for start in range(0, len(data), 1024):
                out.write(data[start : start + 1024])
                out.flush()
                transfer.advance(len(data[start : start + 1024]))
                time.sleep(self.delay)


def make_source(root: Path, count: int, size: int = 4096, delay: float = 0.0) -> FolderStore:
    root.mkdir()
    items = []
    for n in range(count):
        (root / f"{n}.mp3").write_bytes(bytes([n % 256]) * size)
        items.append(MediaItem(f"k{n}", "Pod", f"Episode {n}", 1000.0 + n, f"{n}.mp3", size))
    return FolderStore(root, items, delay)


def threads(prefix: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


def test_a_failing_task_fails_alone_with_its_reason() -> None:
    ran = []

    def ok(n: int):
        return lambda transfer: ran.append(n) or 10

    def boom(transfer: Transfer) -> int:
        raise RuntimeError("disk on fire")

    with TaskManager(copy_workers=1, delete_workers=1) as tasks:
        tasks.add_copy("copy:1", "one", ok(1))
        bad = tasks.add_copy("copy:2", "two", boom)
        tasks.add_copy("copy:3", "three", ok(3))
        tasks.wait()
    assert ran == [1, 3]  # the single worker carried on after the failure
    assert bad.state == TaskState.FAILED and bad.error == "disk on fire"
    assert [t.state for t in tasks.results] == [TaskState.DONE, TaskState.FAILED, TaskState.DONE]
    assert [t.id for t in tasks.results] == ["copy:1", "copy:2", "copy:3"]
    done = tasks.results[0]
    assert done.bytes == 10 and done.started is not None and done.ended >= done.started


def test_delete_tasks_run_on_their_own_pool() -> None:
    seen = []
    with TaskManager(copy_workers=1, delete_workers=2) as tasks:
        for n in range(4):
            tasks.add_delete(
                f"delete:{n}",
                str(n),
                lambda t, n=n: seen.append(threading.current_thread().name) or 0,
            )
        tasks.wait()
    assert len(seen) == 4 and all(name.startswith("delete-") for name in seen)
    assert all(t.state == TaskState.DONE for t in tasks.results)


@pytest.mark.parametrize("size", [1, 3])
def test_pool_sizes_are_honoured_and_shutdown_joins_every_worker(size: int) -> None:
    lock = threading.Lock()
    running = peak = 0

    def work(transfer: Transfer) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return 0

    tasks = TaskManager(copy_workers=size, delete_workers=1)
    for n in range(8):
        tasks.add_copy(f"copy:{n}", str(n), work)
    tasks.wait()
    assert peak == size
    assert len(threads("copy-")) == size
    assert not any(t.daemon for t in threads("copy-"))
    tasks.shutdown()
    assert threads("copy-") == [] and threads("delete-") == []


def test_skip_is_not_a_failure() -> None:
    def skip(transfer: Transfer) -> int:
        raise SkipItem("too large for FAT32")

    with TaskManager() as tasks:
        task = tasks.add_copy("copy:x", "x", skip)
        tasks.wait()
    assert task.state == TaskState.SKIPPED and task.error == "too large for FAT32"


def test_sync_a_failing_step_fails_only_its_copy(tmp_path: Path) -> None:
    source = make_source(tmp_path / "src", 4)
    device = tmp_path / "dev"
    device.mkdir()

    class Picky:
        def prepare(self, item: MediaItem) -> MediaItem:
            if item.key == "k2":
                raise ValueError("bad tag")
            return item

    with TaskManager(copy_workers=2) as tasks:
        manager = SyncManager(
            source,
            DeviceStore(device, "Podcasts", Manifest(device)),
            [NewestPerPodcast(10)],
            [NotWanted()],
            pre_steps=[Picky()],
            tasks=tasks,
        )
        result = manager.execute(manager.plan(PlanState()))
    assert [(t.id, t.error) for t in result.failed] == [("copy:k2", "bad tag")]
    assert len(result.copied) == 3
    assert len(list((device / "Podcasts" / "Pod").iterdir())) == 3
    # The manifest on the device lists exactly the copied files.
    assert sorted(e.key for e in Manifest.load(device).files.values()) == ["k0", "k1", "k3"]


def test_deletes_run_before_copies(tmp_path: Path) -> None:
    source = make_source(tmp_path / "src", 3)
    device = tmp_path / "dev"
    device.mkdir()
    order = []

    class Recording(DeviceStore):
        def add(self, *args, **kwargs):
            order.append("copy")
            return super().add(*args, **kwargs)

        def remove(self, item):
            order.append("delete")
            return super().remove(item)

    with TaskManager() as tasks:
        first = SyncManager(
            FolderStore(source.root, source.items[:2]),
            Recording(device, "P", Manifest(device)),
            [NewestPerPodcast(2)],
            [NotWanted()],
            tasks=tasks,
        )
        first.execute(first.plan(PlanState()))
        order.clear()
        second = SyncManager(
            source,
            Recording(device, "P", Manifest.load(device)),
            [NewestPerPodcast(2)],
            [NotWanted()],
            tasks=tasks,
        )
        plan = second.plan(PlanState())
        assert len(plan.copies) == 1 and len(plan.deletes) == 1
        second.execute(plan)
    assert order == ["delete", "copy"]


def test_interrupted_copy_leaves_no_file_under_its_final_name(tmp_path: Path) -> None:
    source = make_source(tmp_path / "src", 2, size=200 * 1024, delay=0.002)
    device = tmp_path / "dev"
    device.mkdir()
    tasks = TaskManager(copy_workers=2)
    store = DeviceStore(device, "Podcasts", Manifest(device))
    manager = SyncManager(source, store, [NewestPerPodcast(5)], [NotWanted()], tasks=tasks)
    plan = manager.plan(PlanState())
    timer = threading.Timer(0.1, tasks.cancel)
    timer.start()
    result = manager.execute(plan)
    tasks.shutdown()
    timer.join()
    assert [t.state for t in result.tasks] == [TaskState.CANCELLED, TaskState.CANCELLED]
    assert [p for p in device.rglob("*.mp3")] == []
    assert [p for p in device.rglob("*.part")] == []
    assert Manifest.load(device).files == {}
    assert threads("copy-") == []
