"""One module a pane (STYLE.md 12): each owns its query, its rendering and its keys."""

from __future__ import annotations

import importlib
from types import ModuleType

PANE_MODULES = ("base", "inbox", "preview", "negotiations", "payments", "warnings", "dossier", "facts")


def __getattr__(name: str) -> tuple[ModuleType, ...]:
    if name == "ALL_MODULES":
        return tuple(importlib.import_module(f"tui.panes.{m}") for m in PANE_MODULES)
    raise AttributeError(name)
