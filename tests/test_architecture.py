"""The import rules of ../shared/DESIGN.md §1, checked on every module.

agent.cli is the composition root: it may also import web (to serve it) and lab (the
``lab`` commands, and importing a running lab's nodes). Nothing else imports web or agent.
One addition to the table: rendering and diffing a service (provisioners.services,
provisioners.diff) are pure functions with no device I/O, so the BSS bridge and the web
process, which journal provisioning transactions in their own database transaction, use them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "collectors", "provisioners", "inventory", "bss_bridge", "web", "lab")

# package -> our modules it may import (prefix match on dotted names)
ALLOWED: dict[str, tuple[str, ...]] = {
    "inventory": ("inventory",),
    "collectors": ("collectors", "inventory.domain", "inventory.choices"),
    "provisioners": ("provisioners", "inventory.domain", "inventory.choices"),
    # Planning a service (render + diff) is pure: whoever journals a transaction may use it.
    "bss_bridge": ("bss_bridge", "inventory", "provisioners.services", "provisioners.diff"),
    "agent": ("agent", "inventory", "collectors", "provisioners", "bss_bridge"),
    "web": ("web", "inventory", "bss_bridge", "provisioners.services"),
    "lab": ("lab", "inventory", "collectors", "provisioners", "bss_bridge"),
}
COMPOSITION_ROOT = ("agent.cli",)


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    mod = _module_name(path)
    pkg_parts = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg_parts[: len(pkg_parts) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # `from inventory import domain` imports inventory.domain
            found += [(node.lineno, f"{name}.{a.name}") for a in node.names if a.name != "*"]
    return found


def _ours(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


def _files() -> list[Path]:
    return sorted(
        p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "migrations/versions" not in str(p)
    )


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layering(path: Path) -> None:
    mod = _module_name(path)
    pkg = mod.split(".")[0]
    allowed = ALLOWED[pkg]
    if mod.startswith(COMPOSITION_ROOT):
        allowed = (*allowed, "web", "lab")
    bad = []
    for lineno, name in _imports(path):
        if not _ours(name):
            continue
        # "from inventory import domain" yields both "inventory" and "inventory.domain";
        # judge the most specific one, so a bare package name counts only on its own.
        if any(name == a or name.startswith(a + ".") for a in allowed):
            continue
        if any(a.startswith(name + ".") for a in allowed):
            continue
        bad.append(f"{path.relative_to(ROOT)}:{lineno} imports {name}")
    assert not bad, "forbidden imports:\n" + "\n".join(bad)


def test_the_check_sees_every_package() -> None:
    files = _files()
    assert {f.relative_to(ROOT).parts[0] for f in files} >= {"agent", "collectors", "inventory", "lab"}


def test_the_check_catches_a_violation(tmp_path: Path) -> None:
    bad = ROOT / "collectors" / "_arch_probe.py"
    bad.write_text("from inventory.models import Device\nimport web\n")
    try:
        with pytest.raises(AssertionError, match=r"imports inventory\.models"):
            test_imports_follow_the_layering(bad)
    finally:
        bad.unlink()
