"""Shell completion for bash, zsh and fish, generated from the argument parser.

The scripts know the commands and options (read from the parser, so they
never drift from it) and ask ``podsync __names devices|podcasts`` for the
names of the registered players and the subscribed podcasts.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

NAMES_COMMAND = "__names"
DYNAMIC = {
    ("push",): "devices",
    ("device", "remove"): "devices",
    ("mark-played",): "podcasts",
    ("device", "add"): "dirs",
}
"""What the first positional argument of a command is: registered names, or folders."""


@dataclass
class Command:
    path: tuple[str, ...]
    help: str
    options: list[tuple[list[str], bool, str]] = field(default_factory=list)
    """Each option's spellings, whether it takes a value, and its help."""
    children: list[Command] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    """Fixed values of its first positional argument (``completion bash``)."""

    @property
    def words(self) -> list[str]:
        """What may follow the command, options aside: sub-commands, positional choices."""
        return [c.path[-1] for c in self.children] + self.choices

    @property
    def spellings(self) -> list[str]:
        return [s for names, _, _ in self.options for s in names]


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = (), help: str = ""
) -> Command:
    """The tree of commands under ``parser``."""
    node = Command(path, help)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                node.children.append(commands(sub, (*path, name), helps.get(name, "")))
        elif action.option_strings:
            node.options.append((list(action.option_strings), action.nargs != 0, action.help or ""))
        elif action.choices and not node.choices:
            node.choices = [str(c) for c in action.choices]
    return node


def walk(node: Command) -> list[Command]:
    return [node] + [n for child in node.children for n in walk(child)]


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    tree = commands(parser)
    return {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell](tree)


def _valued(tree: Command) -> list[str]:
    return sorted({s for n in walk(tree) for names, takes, _ in n.options if takes for s in names})


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _bash(tree: Command) -> str:
    cases = []
    for node in walk(tree):
        key = " ".join(node.path)
        options = f'opts="{" ".join(node.spellings)}"'
        kind = DYNAMIC.get(node.path, "")
        if kind == "dirs":
            extra = '; COMPREPLY+=($(compgen -d -- "$cur"))'
        elif kind:
            extra = f'; names="$("${{COMP_WORDS[0]}}" {NAMES_COMMAND} {kind} 2>/dev/null)"'
        else:
            extra = ""
        cases.append(f'        "{key}") words="{" ".join(node.words)}" {options}{extra} ;;')
        if kind or node.choices:  # after the positional argument, only the options
            cases.append(f'        "{key} "*) {options} ;;')
    body = "\n".join(cases)
    return f"""# bash completion for podsync: source it, or save it as
# ~/.local/share/bash-completion/completions/podsync
_podsync() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} path="" word words="" opts="" names="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${{COMP_WORDS[i]}}
        case "$word" in
            {"|".join(_valued(tree))}) ((i++)) ;;
            -*) ;;
            *) path+="${{path:+ }}$word" ;;
        esac
    done
    COMPREPLY=()
    case "$path" in
{body}
    esac
    [[ $cur == -* ]] && words=$opts
    COMPREPLY+=($(compgen -W "$words" -- "$cur"))
    if [[ -n $names && $cur != -* ]]; then
        local IFS=$'\\n' name
        for name in $(compgen -W "$names" -- "$cur"); do
            COMPREPLY+=("$(printf '%q' "$name")")
        done
    fi
}}
complete -F _podsync podsync
"""


def _zsh(tree: Command) -> str:
    cases = []
    for node in walk(tree):
        key = " ".join(node.path)
        lines = []
        if node.children:
            described = " ".join(
                _quote(f"{c.path[-1]}:{c.help.replace(':', ' -')}") for c in node.children
            )
            lines.append(f"local -a cmds=({described}); _describe command cmds")
        kind = DYNAMIC.get(node.path, "")
        if kind == "dirs":
            lines.append("_directories")
        elif kind:
            lines.append(
                f'compadd -- ${{(f)"$(${{words[1]}} {NAMES_COMMAND} {kind} 2>/dev/null)"}}'
            )
        if node.choices:
            lines.append("compadd -- " + " ".join(node.choices))
        lines.append("[[ $PREFIX == -* ]] && compadd -- " + " ".join(node.spellings))
        cases.append(f'    "{key}") {"; ".join(lines)} ;;')
    body = "\n".join(cases)
    return f"""#compdef podsync
# zsh completion for podsync: save it as _podsync in a folder on your $fpath
_podsync() {{
  local path_="" word i
  for ((i = 2; i < CURRENT; i++)); do
    word=${{words[i]}}
    case $word in
      {"|".join(_valued(tree))}) ((i++)) ;;
      -*) ;;
      *) path_="${{path_:+$path_ }}$word" ;;
    esac
  done
  case $path_ in
{body}
  esac
}}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _podsync "$@"
else
  compdef _podsync podsync
fi
"""


def _fish(tree: Command) -> str:
    lines = [
        "# fish completion for podsync: save it as ~/.config/fish/completions/podsync.fish",
        "complete -c podsync -f",
    ]
    for node in walk(tree):
        if node.path:
            seen = " ".join(node.path)
            cond = f"__fish_seen_subcommand_from {node.path[-1]}"
            if len(node.path) > 1:
                cond = f"__fish_seen_subcommand_from {node.path[0]}; and {cond}"
        else:
            seen, cond = "", "__fish_use_subcommand"
        if node.children:
            below = " ".join(c.path[-1] for c in node.children)
            guard = f"{cond}; and not __fish_seen_subcommand_from {below}" if seen else cond
            for child in node.children:
                lines.append(
                    f"complete -c podsync -n {_quote(guard)} -a {child.path[-1]} "
                    f"-d {_quote(child.help)}"
                )
        if not seen:
            continue
        for names, takes, help_text in node.options:
            flags = " ".join(f"-l {n[2:]}" if n.startswith("--") else f"-s {n[1:]}" for n in names)
            lines.append(
                f"complete -c podsync -n {_quote(cond)} {flags}{' -r' if takes else ''} "
                f"-d {_quote(help_text)}"
            )
        kind = DYNAMIC.get(node.path, "")
        if kind == "dirs":
            lines.append(
                f"complete -c podsync -n {_quote(cond)} -a '(__fish_complete_directories)'"
            )
        elif kind:
            lines.append(
                f"complete -c podsync -n {_quote(cond)} -a '(podsync {NAMES_COMMAND} {kind})'"
            )
        if node.choices:
            lines.append(
                f"complete -c podsync -n {_quote(cond)} -a {_quote(' '.join(node.choices))}"
            )
    return "\n".join(lines) + "\n"


def names(kind: str) -> list[str]:
    """The registered players' or the subscribed podcasts' names, for the scripts."""
    from podsync.app import App

    with App.open() as app:
        if kind == "devices":
            return [d.name for d in app.state.devices()]
        if kind == "podcasts":
            return [p.title or p.url for p in app.state.podcasts()]
    return []
