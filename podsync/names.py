"""File names that every player accepts: FAT-safe, bounded, stable.

FAT and exFAT forbid ``" * / : < > ? \\ |`` and control characters, drop
trailing dots and spaces, reserve DOS device names and compare names without
case.  The same rules keep cache names free of path traversal.
"""

from __future__ import annotations

import re
import string
import time
import unicodedata

from podsync.model import MediaItem

MAX_NAME = 120
_SEPARATORS = str.maketrans({":": " - ", "/": "-", "\\": "-", "|": "-"})
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f"*/:<>?\\|]+')
_SPACES = re.compile(r"\s+")
_ASTRAL = re.compile(r"[\U00010000-\U0010ffff]")
"""Characters outside the BMP (emoji): many players and FAT drivers reject them."""
_INVISIBLE = re.compile("[\u200b-\u200d\ufe0e\ufe0f]")
"""Zero-width spaces and joiners, and the variation selectors emoji leave behind."""
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CLOCK$"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in range(10)
}


def safe_name(text: str, max_units: int = MAX_NAME, fallback: str = "untitled") -> str:
    """Turn ``text`` into one FAT-safe path component of at most ``max_units``."""
    text = unicodedata.normalize("NFC", text)
    text = _FORBIDDEN.sub(" ", _ASTRAL.sub("", text.translate(_SEPARATORS)))
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    text = _truncate(text, max_units).rstrip(". ").lstrip(". ")
    if not text:
        return fallback
    if text.split(".")[0].rstrip().upper() in _RESERVED:
        text = f"_{text}"
    return _truncate(text, max_units).rstrip(". ")


_LETTERS = str.maketrans(
    {
        "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
        "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ł": "l", "Ł": "L",
        "ı": "i", "‘": "'", "’": "'", "‚": ",", "“": "'", "”": "'", "„": "'",
        "–": "-", "—": "-", "…": "...", "€": "EUR", "£": "GBP", "°": " deg",
    }
)  # fmt: skip


def transliterate(text: str) -> str:
    """``text`` in ASCII, for players that show other characters as garbage.

    Accents are dropped (``é`` → ``e``), a few letters spelled out (``ß`` →
    ``ss``); what has no ASCII form (CJK, emoji) becomes ``_``.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"_+", "_", "".join(c if c.isascii() else "_" for c in plain))


def _truncate(text: str, max_units: int) -> str:
    """Cut ``text`` to ``max_units`` UTF-16 code units (FAT's measure)."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > max_units:
            return text[:index]
    return text


def episode_date(published: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(published)) if published > 0 else "undated"


DEFAULT_TEMPLATE = "{podcast}/{date} {title}.{ext}"
FIELDS = ("podcast", "title", "date", "author", "ext")


def check_folder(folder: str) -> None:
    """Raise ValueError unless ``folder`` stays inside a player and out of its ``.podsync/``.

    ``a/b`` names a folder two levels down; ``..``, absolute paths, empty or
    ``.`` parts, backslashes and control characters are refused.
    """
    if not folder.strip():
        raise ValueError("'' is empty; name a folder on the player, such as Podcasts")
    if folder.startswith("/"):
        raise ValueError(f"{folder!r} is an absolute path; name a folder inside the player")
    if "\\" in folder or not folder.isprintable():
        raise ValueError(f"{folder!r}: a backslash or control character in a folder name")
    for part in folder.rstrip("/").split("/"):
        if part == "..":
            raise ValueError(f"{folder!r} leads out of the player (..)")
        if part in ("", "."):
            raise ValueError(f"{folder!r} has an empty part; write it as Podcasts or a/b")
        if part.casefold() == ".podsync":
            raise ValueError(f"{folder!r} is podsync's own folder on the player")


def check_template(template: str) -> None:
    """Raise ValueError unless ``template`` is a usable name template."""
    try:
        used = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        raise ValueError(f"bad template {template!r}: {exc}") from None
    unknown = used - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown field {{{sorted(unknown)[0]}}} (use {', '.join(FIELDS)})")
    if not used & {"title", "date"}:
        raise ValueError("a template needs {title} or {date}")
    if template.startswith("/") or any(p.strip() in ("", ".", "..") for p in template.split("/")):
        raise ValueError(f"bad template {template!r}: empty or relative folder names")


def episode_path(
    item: MediaItem,
    template: str = DEFAULT_TEMPLATE,
    max_units: int = MAX_NAME,
    ascii_names: bool = False,
) -> tuple[str, ...]:
    """The folders and file name for ``item``, each one a FAT-safe name (in ASCII, with
    ``ascii_names``).

    Every ``/`` of the template starts a folder; a ``/`` inside a title does not.
    """
    ext = re.sub(r"[^0-9a-z]", "", item.ext.lower())[:8] or "mp3"
    fields = {
        "podcast": item.podcast or "podcast",
        "title": item.title,
        "date": episode_date(item.published),
        "author": item.author or "unknown",
        "ext": ext,
    }
    if ascii_names:
        fields = {k: transliterate(v) for k, v in fields.items()}
    *folders, last = template.split("/")
    names = [safe_name(part.format(**fields), max_units, "podcast") for part in folders]
    if last.endswith(".{ext}"):
        stem = safe_name(last[: -len(".{ext}")].format(**fields), max_units - len(ext) - 1)
        return (*names, f"{stem}.{ext}")
    return (*names, safe_name(last.format(**fields), max_units))


def with_counter(name: str, counter: int) -> str:
    """``name`` with `` (counter)`` before its extension, for a taken name."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    suffix = f" ({counter})"
    return f"{_truncate(stem, MAX_NAME - len(suffix) - len(ext) - 1).rstrip('. ')}{suffix}" + (
        f".{ext}" if ext else ""
    )
