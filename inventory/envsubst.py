"""``${VAR}``, ``${VAR:-default}`` and ``${VAR:=default}`` expansion (containerlab's syntax),
used for topology files and inventory files, so secrets can stay in the environment."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=])([^}]*))?\}")


def expand_env(value: str, env: Mapping[str, str] | None = None) -> str:
    environ = dict(os.environ if env is None else env)

    def sub(m: re.Match[str]) -> str:
        name, op, default = m.group(1), m.group(2), m.group(3)
        current = environ.get(name)
        if op is None:
            return current or ""
        if current:
            return current
        if op.endswith("="):
            environ[name] = default
        return default

    return _ENV_RE.sub(sub, value)


def expand_tree(obj: Any, env: Mapping[str, str] | None = None) -> Any:
    """Expand every string inside nested lists and mappings."""
    if isinstance(obj, str):
        return expand_env(obj, env)
    if isinstance(obj, list):
        return [expand_tree(x, env) for x in obj]
    if isinstance(obj, dict):
        return {k: expand_tree(v, env) for k, v in obj.items()}
    return obj
