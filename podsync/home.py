"""Where podsync keeps its config, state database and episode cache.

By default these follow the XDG base directories; ``PODSYNC_HOME=DIR`` puts all
three under ``DIR`` (tests, the demo and portable installs use it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP = "podsync"


@dataclass(frozen=True)
class Home:
    """The three places podsync writes to on this computer."""

    config_dir: Path
    state_dir: Path
    cache_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def database(self) -> Path:
        return self.state_dir / "state.db"

    @property
    def episodes_dir(self) -> Path:
        return self.cache_dir / "episodes"

    @property
    def converted_dir(self) -> Path:
        """Episodes converted for players: ``<settings hash>/<episode key>.<ext>``."""
        return self.cache_dir / "converted"

    @property
    def artwork_dir(self) -> Path:
        """Podcasts' images, sized for small screens: ``<hash of the image URL>.jpg``."""
        return self.cache_dir / "artwork"

    @property
    def locks_dir(self) -> Path:
        return self.state_dir / "locks"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Home:
        """Resolve the home from ``PODSYNC_HOME`` or the XDG directories."""
        env = os.environ if env is None else env
        root = env.get("PODSYNC_HOME")
        if root:
            base = Path(root).expanduser().absolute()
            return cls(base / "config", base / "state", base / "cache")
        import platformdirs

        return cls(
            Path(platformdirs.user_config_dir(APP)),
            Path(platformdirs.user_state_dir(APP)),
            Path(platformdirs.user_cache_dir(APP)),
        )

    def ensure(self) -> None:
        """Create the directories that are missing."""
        for path in (self.config_dir, self.state_dir, self.episodes_dir, self.locks_dir):
            path.mkdir(parents=True, exist_ok=True)
