"""``podsync udev install``: the udev rule for the registered players and the user unit.

Both files are filled in from the templates in the top-level ``udev/`` folder
(shipped as ``podsync/templates``).  The rule only labels the players and
tags them for systemd; the user unit runs ``podsync watch``, which does the
work as the user once the player is mounted.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from podsync.errors import PodsyncError
from podsync.fileio import write_atomically
from podsync.model import Device

RULE_NAME = "90-podsync.rules"
UNIT_NAME = "podsync-watch.service"
RULES_DIR = Path("/etc/udev/rules.d")
_SAFE = re.compile(r"^[\w.:+ -]+$")
"""Values written into the rule: udev has no quoting, so anything else is left out."""


@dataclass(frozen=True)
class Files:
    """Where install writes, under an optional root, and what."""

    rule: Path
    unit: Path
    rule_text: str
    unit_text: str


def _template(name: str) -> Template:
    return Template((resources.files("podsync") / "templates" / name).read_text("utf-8"))


def rule_lines(devices: list[Device]) -> list[str]:
    """One rule per player with a udev identity, and a comment for each without."""
    lines = []
    for device in devices:
        identity = device.identity
        name = device.name
        if not _SAFE.match(name):
            lines.append("# (a player whose name udev cannot carry is matched by its marker)")
            continue
        if identity.fs_uuid and _SAFE.match(identity.fs_uuid):
            match = f'ENV{{ID_FS_UUID}}=="{identity.fs_uuid}"'
        elif identity.serial and _SAFE.match(identity.serial):
            match = f'ENV{{ID_FS_USAGE}}=="filesystem", ENV{{ID_SERIAL}}=="{identity.serial}"'
        else:
            lines.append(f"# {name}: no udev identity (a folder or a phone); found by its marker")
            continue
        lines.append(f"# {name}")
        lines.append(
            f'{match}, ENV{{PODSYNC_DEVICE}}="{name}", ENV{{UDISKS_AUTO}}="1", '
            f'TAG+="systemd", ENV{{SYSTEMD_USER_WANTS}}+="{UNIT_NAME}"'
        )
    return lines or ["# (no players registered yet: run `podsync device add`, then install again)"]


def exec_start() -> str:
    """How systemd should start ``podsync watch``: this very installation of podsync."""
    script = Path(sys.argv[0])
    if script.name == "podsync" and script.exists():
        return f"{shlex.quote(str(script.resolve()))} watch"
    return f"{shlex.quote(sys.executable)} -m podsync watch"


def render(devices: list[Device], root: Path | None, env: dict[str, str]) -> Files:
    """The rule and the unit for ``devices``, and their paths (under ``root`` if given)."""
    home = env.get("PODSYNC_HOME")
    environment = f"Environment={shlex.quote(f'PODSYNC_HOME={home}')}\n" if home else ""
    config = Path(env.get("XDG_CONFIG_HOME") or Path(env.get("HOME", "~")) / ".config")
    unit_dir = config.expanduser() / "systemd" / "user"
    base = root or Path("/")
    return Files(
        rule=base / RULES_DIR.relative_to("/") / RULE_NAME,
        unit=base / unit_dir.relative_to("/") / UNIT_NAME,
        rule_text=_template(f"{RULE_NAME}.in").substitute(rules="\n".join(rule_lines(devices))),
        unit_text=_template(f"{UNIT_NAME}.in").substitute(
            exec_start=exec_start(), environment=environment
        ),
    )


def may_write(path: Path) -> bool:
    """Whether this user may create ``path`` (its nearest existing folder is writable)."""
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    return os.access(folder, os.W_OK)


@dataclass
class Installed:
    """What :func:`install` did, line by line, and what is left for the user to run."""

    lines: list[str]
    by_hand: str | None = None
    """The command that finishes the job when enabling the unit failed; None when done."""


def install(files: Files, staging: Path, *, system: bool, rule_writable: bool) -> Installed:
    """Write the unit, and the rule where we may; say what was done, line by line.

    ``system`` is true when the files go to the live system (no ``--root``):
    then udev is reloaded and the unit enabled when those tools are present;
    when enabling fails, ``by_hand`` holds the command to run.  Without the
    right to write the rule, it is written to ``staging`` and the one command
    that installs it is returned.
    """
    done = [_write(files.unit, files.unit_text)]
    if rule_writable:
        done.append(_write(files.rule, files.rule_text))
        if system:
            done += _run(["udevadm", "control", "--reload"])
    else:
        staged = _write(staging / RULE_NAME, files.rule_text).removeprefix("wrote ")
        done.append(
            "the rule needs root; install it with:\n"
            f"  sudo install -m 644 {shlex.quote(staged)} {files.rule} "
            "&& sudo udevadm control --reload"
        )
    if not system:
        return Installed(done)
    reload = ["systemctl", "--user", "daemon-reload"]
    enable = ["systemctl", "--user", "enable", "--now", UNIT_NAME]
    done += _run(reload)
    enabled = _run(enable)
    done += enabled
    if enabled[0].startswith("ran "):
        return Installed(done)
    return Installed(done, f"{' '.join(reload)} && {' '.join(enable)}")


def uninstall(files: Files, *, system: bool) -> list[str]:
    """Remove what :func:`install` wrote; return what was done."""
    done = []
    if system:
        done += _run(["systemctl", "--user", "disable", "--now", UNIT_NAME])
    for path in (files.unit, files.rule):
        try:
            path.unlink()
            done.append(f"removed {path}")
        except FileNotFoundError:
            done.append(f"not there: {path}")
        except PermissionError:
            done.append(f"the rule needs root to remove: sudo rm {shlex.quote(str(path))}")
    if system and not files.rule.exists():
        done += _run(["udevadm", "control", "--reload"])
    return done


def _write(path: Path, text: str) -> str:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, text.encode())
        path.chmod(0o644)
    except OSError as exc:
        raise PodsyncError(f"cannot write {path}: {exc.strerror}") from None
    return f"wrote {path}"


def _run(argv: list[str]) -> list[str]:
    """Run a system tool when it is installed; report, never fail, on trouble."""
    if shutil.which(argv[0]) is None:
        return [f"skipped `{' '.join(argv)}` ({argv[0]} is not installed)"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        why = (result.stderr or result.stdout).strip().splitlines()
        return [f"`{' '.join(argv)}` failed: {why[-1] if why else result.returncode}"]
    return [f"ran `{' '.join(argv)}`"]
