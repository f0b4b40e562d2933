"""The pieces every command needs: where things live, the settings, the state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from podsync.config import Config
from podsync.home import Home
from podsync.state import State


@dataclass
class App:
    """An open podsync home.  Close it (or use ``with``) to release the database."""

    home: Home
    config: Config
    state: State

    @classmethod
    def open(cls, env: Mapping[str, str] | None = None) -> App:
        home = Home.from_env(env)
        config = Config.load(home.config_file)
        home.ensure()
        return cls(home, config, State(home.database))

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.state.close()
