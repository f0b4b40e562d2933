"""``podsync udev install``: the rule for the registered players and the user unit."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from podsync.watch.install import install, render

RULE = Path("etc/udev/rules.d/90-podsync.rules")


def unit_path(root: Path) -> Path:
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return root / config.relative_to("/") / "systemd/user/podsync-watch.service"


def rules(text: str) -> list[str]:
    """The rule lines (not comments, not blank)."""
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_install_writes_a_rule_for_each_player_and_a_unit_that_runs_the_watcher(
    podsync, fat_player, testbed, tmp_path: Path
) -> None:
    name = testbed.partition_name()
    testbed.add_partition(name, ID_FS_UUID="ABCD-1234", ID_FS_TYPE="vfat", ID_SERIAL="Clip_1")
    clip = fat_player(source=f"/dev/{name}")
    podsync("device", "add", str(clip), "--name", "clip", env=testbed.env())
    root = tmp_path / "root"
    out = podsync("udev", "install", "--root", str(root)).stdout
    assert f"wrote {root / RULE}" in out

    rule = (root / RULE).read_text()
    lines = rules(rule)
    clip_rule = next(line for line in lines if "ABCD-1234" in line)
    assert 'ENV{ID_FS_UUID}=="ABCD-1234"' in clip_rule
    assert 'ENV{PODSYNC_DEVICE}="clip"' in clip_rule
    assert 'TAG+="systemd"' in clip_rule and 'ENV{UDISKS_AUTO}="1"' in clip_rule
    assert 'ENV{SYSTEMD_USER_WANTS}+="podsync-watch.service"' in clip_rule
    assert not re.search(r"\b(RUN|PROGRAM|IMPORT\{program\})", rule), "the rule must run nothing"
    assert all(line.count('"') % 2 == 0 for line in lines)

    unit = unit_path(root).read_text()
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    argv = shlex.split(exec_start.removeprefix("ExecStart="))
    assert argv[-1] == "watch" and Path(argv[0]).is_absolute()
    assert Path(argv[0]).exists()
    assert "WantedBy=default.target" in unit

    # A second player added later: installing again updates the rule.
    stick = tmp_path / "stick"
    stick.mkdir()
    podsync("device", "add", str(stick), "--name", "stick")
    podsync("udev", "install", "--root", str(root))
    rule = (root / RULE).read_text()
    assert "ABCD-1234" in rule and "# stick: no udev identity" in rule

    out = podsync("udev", "uninstall", "--root", str(root)).stdout
    assert "removed" in out
    assert not (root / RULE).exists() and not unit_path(root).exists()


def test_print_shows_both_files_and_writes_nothing(podsync, tmp_path: Path) -> None:
    out = podsync("udev", "install", "--print").stdout
    assert "# /etc/udev/rules.d/90-podsync.rules" in out
    assert "no players registered yet" in out
    assert "ExecStart=" in out and " watch" in out
    assert f"Environment=PODSYNC_HOME={podsync.home}" in out


def test_without_the_right_to_write_the_rule_it_is_staged_with_the_command_to_install_it(
    tmp_path: Path,
) -> None:
    # (Tests run as root; an ordinary user's lack of rights is passed in.)
    files = render([], tmp_path / "root", {"HOME": "/home/me"})
    done = install(files, tmp_path / "state", system=False, rule_writable=False).lines
    staged = tmp_path / "state" / "90-podsync.rules"
    assert staged.read_text() == files.rule_text
    assert files.unit.exists() and not files.rule.exists()
    assert (
        f"  sudo install -m 644 {staged} {files.rule} && sudo udevadm control --reload"
        in "\n".join(done)
    )


def test_a_failed_enable_says_how_to_finish_by_hand(tmp_path: Path, monkeypatch) -> None:
    # A systemctl that reloads but cannot enable (no user session bus, say).
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "systemctl").write_text(
        '#!/bin/sh\ncase "$*" in *enable*) echo "Failed to connect to bus" >&2; exit 1;; esac\n'
    )
    (tools / "systemctl").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}:{os.environ['PATH']}")
    files = render([], tmp_path / "root", {"HOME": "/home/me"})
    done = install(files, tmp_path / "state", system=True, rule_writable=False)
    assert any("failed: Failed to connect to bus" in line for line in done.lines)
    assert done.by_hand == (
        "systemctl --user daemon-reload && systemctl --user enable --now podsync-watch.service"
    )
    (tools / "systemctl").write_text("#!/bin/sh\nexit 0\n")
    assert install(files, tmp_path / "state", system=True, rule_writable=False).by_hand is None
