"""What the two CLI dialects share: modes, errors, tokenising and block splitting."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Resolves an interface name as typed (``Et3``, ``eth3``, ``Ethernet3.100``) to the device's
# canonical name, or None if the device has no such port.
Resolver = Callable[[str], str | None]


class CommandError(ValueError):
    """A line the dialect does not accept; the message is what the device prints."""


class NotInMode(Exception):
    """Internal: the line is no command of the current sub-mode (try the parent mode)."""


@dataclass(frozen=True)
class Mode:
    """Where a configuration line lands: ``top``, or a block (``interface``, ``policy-map``,
    ``xconnect``) with the name of what it configures."""

    kind: str = "top"
    name: str = ""


TOP = Mode()


def words(line: str) -> list[str]:
    return line.split()


def rest_after(line: str, n_words: int) -> str:
    """The raw text after the first ``n_words`` words (descriptions keep their spacing)."""
    m = re.match(r"\s*" + r"\S+\s+" * n_words, line)
    return line[m.end() :].rstrip() if m else ""


def parse_int(text: str, what: str) -> int:
    if not re.fullmatch(r"\d{1,10}", text):
        raise CommandError(f"% Invalid input: {what} must be a number")
    return int(text)


def blocks(text: str) -> Iterator[list[str]]:
    """Top-level blocks of a rendered configuration: a line at column 0 and the indented lines
    under it (``!`` separators and ``exit`` lines stay with the block before them)."""
    block: list[str] = []
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("!") and line != "exit":
            if block:
                yield block
            block = [line]
        else:
            block.append(line)
    if block:
        yield block


def section(text: str, pattern: str) -> str:
    """``show running-config section X``: every block with a line matching X."""
    try:
        rx = re.compile(pattern)
        match: Callable[[str], bool] = lambda s: rx.search(s) is not None  # noqa: E731
    except re.error:
        match = lambda s: pattern in s  # noqa: E731
    out: list[str] = []
    for block in blocks(text):
        body = [ln for ln in block if ln.strip() not in ("!", "") and not ln.startswith("! ")]
        if body and body[0] != "end" and any(match(ln) for ln in body):
            out.extend(ln for ln in block if ln.strip() != "!")
    return "\n".join(out) + ("\n" if out else "")
