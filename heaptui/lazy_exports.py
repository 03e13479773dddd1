"""A package's names imported on first use (PEP 562), so importing the package costs nothing.

The engine's API and the capture package export many names from modules that
pull in heavy dependencies (numba, an inspector's HTTP and WebSocket code);
a command that needs none of them should not pay for their imports at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(
    package: str, exports: dict[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: ``exports`` maps each name to the submodule defining it.

    A name is imported the first time it is asked for and kept in ``namespace``
    (the package's globals), so later uses are plain lookups.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value  # imported once
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
