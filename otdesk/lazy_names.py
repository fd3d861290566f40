"""Package names that load their module on first use, so importing one light module of a
package does not import the heavy ones beside it (the window's first screen must not wait
for SQLAlchemy)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def module_getattr(package: str, homes: dict[str, str]) -> Callable[[str], Any]:
    """A module-level __getattr__ for `package`: each name in `homes` comes from the
    submodule named there, imported when the name is first asked for."""

    def __getattr__(name: str) -> Any:  # noqa: N807 (the module hook's own name)
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{homes[name]}"), name)

    return __getattr__
