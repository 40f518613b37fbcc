"""Hierarchical CLI configurations: parse, diff, and the commands that turn A into B.

A configuration is blocks: a top-level line, optionally followed by indented child lines
(EOS indents three spaces; IOS/FRR one space and may close a block with ``exit``). Lines
are compared as text within their block. To go from A to B:

- a child line only in B is entered (inside its block);
- a child line only in A is negated (``no <line>``) unless B holds another line with the
  same *key* (a single-valued setting such as ``description`` or ``police rate``), in which
  case entering the new value is enough: a bandwidth change moves one line, not two;
- ``shutdown`` only in A becomes ``no shutdown``;
- a whole block only in A is removed with ``no <header>``; only in B, entered whole.

Removals come before additions within a block, and blocks are removed last (after
references to them are gone, e.g. a service-policy before its policy-map) and added first
(a policy-map before the interface that uses it).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

# Children that hold one value per block: the new line replaces the old one.
SINGLE_VALUED = (
    re.compile(r"^description\b"),
    re.compile(r"^mtu\b"),
    re.compile(r"^encapsulation dot1q vlan\b"),
    re.compile(r"^police rate\b"),
    re.compile(r"^service-policy input\b"),
    re.compile(r"^service-policy output\b"),
    re.compile(r"^neighbor\b"),
    re.compile(r"^interface\b"),
    re.compile(r"^speed\b"),
    re.compile(r"^hostname\b"),
)
# Top-level lines that are settings, not blocks with children (kept in the root block).
_IGNORED_TOP = re.compile(
    r"^(!|end$|exit$|frr version|frr defaults|Building configuration|Current configuration)"
)


@dataclass(frozen=True)
class Dialect:
    name: str
    indent: str
    closes_blocks: bool  # IOS/FRR close a block with "exit"; EOS relies on indentation


EOS = Dialect("eos", "   ", closes_blocks=False)
IOS = Dialect("ios", " ", closes_blocks=True)
DIALECTS = {"eos": EOS, "ios": IOS}


@dataclass
class Block:
    header: str
    children: list[str] = field(default_factory=list)


def parse(text: str) -> dict[str, Block]:
    """Blocks by header, in order; top-level settings without children are blocks too."""
    blocks: dict[str, Block] = {}
    current: Block | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith("!"):
            if not line.startswith((" ", "\t")):
                current = None
            continue
        if line[0] in " \t":
            if stripped in ("exit", "exit-address-family"):
                if stripped == "exit":
                    current = None
                continue
            if current is None:
                raise ValueError(f"indented line outside a block: {stripped!r}")
            current.children.append(stripped)
            continue
        if _IGNORED_TOP.match(stripped):
            current = None
            continue
        current = blocks.setdefault(stripped, Block(stripped))
    return blocks


def _key(line: str) -> str | None:
    for rx in SINGLE_VALUED:
        m = rx.match(line)
        if m:
            return m.group(0)
    return None


# Single-valued settings negated by their key alone ("no description", not "no description
# <the old text>", which some CLIs reject or read as a pattern).
_NEGATE_BY_KEY = {
    "description",
    "mtu",
    "encapsulation dot1q vlan",
    "police rate",
    "service-policy input",
    "service-policy output",
    "speed",
}


def _negate(line: str) -> str:
    if line == "shutdown":
        return "no shutdown"
    if line.startswith("no "):
        return line[3:]
    key = _key(line)
    if key in _NEGATE_BY_KEY:
        return f"no {key}"
    return f"no {line}"


def child_changes(old: list[str], new: list[str]) -> list[str]:
    removed = [ln for ln in old if ln not in new]
    added = [ln for ln in new if ln not in old]
    new_keys = {_key(ln) for ln in added} - {None}
    out = [_negate(ln) for ln in removed if _key(ln) not in new_keys]
    return out + added


_PHYSICAL = re.compile(r"^interface [^.\s]+$")


def _persistent(header: str) -> bool:
    """Blocks that cannot be deleted (a physical port): removing our part of one means
    negating our lines in it, not the block."""
    return bool(_PHYSICAL.match(header))


def _is_reference_target(header: str) -> bool:
    # Blocks others refer to: create them first, remove them last.
    return header.startswith(("policy-map ", "class-map ", "ip access-list ", "route-map "))


def commands(dialect: Dialect, old_text: str, new_text: str) -> list[str]:
    """Config-mode commands that turn ``old_text`` into ``new_text`` (empty when equal)."""
    old, new = parse(old_text), parse(new_text)
    first: list[str] = []  # referenced blocks added or changed
    middle: list[str] = []
    last: list[str] = []  # blocks removed (referenced ones at the very end)
    removed_refs: list[str] = []
    exit_line = ["exit"] if dialect.closes_blocks else []
    for header, block in new.items():
        before = old.get(header)
        if before is None:
            lines = [
                header,
                *(dialect.indent + c for c in block.children),
                *(exit_line if block.children else []),
            ]
        else:
            changes = child_changes(before.children, block.children)
            if not changes:
                continue
            lines = [header, *(dialect.indent + c for c in changes), *exit_line]
        (first if _is_reference_target(header) else middle).extend(lines)
    # A top-level setting replaced by another value (hostname a -> hostname b) is entered,
    # not negated: negating the old one after would remove the new one.
    replaced = {_key(h) for h in new if h not in old} - {None}
    for header, block in old.items():
        if header in new or (not block.children and _key(header) in replaced):
            continue
        if _persistent(header):
            if block.children:
                middle.extend(
                    [header, *(dialect.indent + c for c in child_changes(block.children, [])), *exit_line]
                )
            continue
        (removed_refs if _is_reference_target(header) else last).append(_negate(header))
    # Removed blocks go in reverse order of the configuration: a block refers to blocks above
    # it (an xconnect to its subinterface, the subinterface to its policy-map), so the
    # referring one must go first or the device refuses ("it is used by xconnect ...").
    return first + middle + last[::-1] + removed_refs[::-1]


def unified_diff(old_text: str, new_text: str, old_name: str = "running", new_name: str = "candidate") -> str:
    """A unified diff of two configurations, for people (dry runs, backups, drift)."""
    lines = difflib.unified_diff(
        old_text.splitlines(), new_text.splitlines(), fromfile=old_name, tofile=new_name, lineterm="", n=2
    )
    return "\n".join(lines)


def render(dialect: Dialect, blocks: dict[str, Block]) -> str:
    out = []
    for b in blocks.values():
        out.append(b.header)
        out += [dialect.indent + c for c in b.children]
        if dialect.closes_blocks and b.children:
            out.append("exit")
        out.append("!")
    return "\n".join(out) + "\n"
