"""Shell completion for bash, zsh and fish, through argcomplete.

The shell scripts are argcomplete's: on Tab they run ``podsync`` itself with
argcomplete's environment, and :func:`autocomplete` answers from the parser,
so commands and options never drift from it.  The parser marks the arguments
that take a registered player, a podcast, a file or a folder
(``action.complete_as``); here they get their completers.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator

SHELLS = ("bash", "zsh", "fish")


def script(shell: str) -> str:
    """The completion script to source (bash, zsh) or to save (fish)."""
    import argcomplete

    return argcomplete.shellcode(["podsync"], True, shell)  # executables, use_defaults, shell


def autocomplete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request and exit (argcomplete's protocol)."""
    import argcomplete
    from argcomplete.completers import DirectoriesCompleter, FilesCompleter

    files, dirs = FilesCompleter(), DirectoriesCompleter()
    completers: dict[str, Callable[..., object]] = {
        "devices": _names("devices"),
        "podcasts": _names("podcasts"),
        "files": files,
        "dirs": dirs,
        "device-or-dir": lambda **kw: [*_names("devices")(**kw), *dirs(**kw)],
    }
    for action in _actions(parser):
        kind = getattr(action, "complete_as", None)
        if kind is not None:
            action.completer = completers[kind]  # type: ignore[attr-defined]
    argcomplete.autocomplete(parser, always_complete_options=False)


def _actions(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        yield action
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _actions(sub)


def _names(kind: str) -> Callable[..., list[str]]:
    def complete(prefix: str = "", **_: object) -> list[str]:
        try:
            return [n for n in names(kind) if n.startswith(prefix)]
        except Exception:  # completing must never print an error into the command line
            return []

    return complete


def names(kind: str) -> list[str]:
    """The registered players' or the subscribed podcasts' names."""
    from podsync.app import App

    with App.open() as app:
        if kind == "devices":
            return [d.name for d in app.state.devices()]
        return [p.title or p.url for p in app.state.podcasts()]
