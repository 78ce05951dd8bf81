"""Every statement module, imported in paper order so that :data:`theorems.REGISTRY` lists the
statements in a stable order (Section 3, 4, 5, 6, Appendix C, Figure 2).

Importing this module registers every statement and check; the test session's controller, the report
renderer and the replay command import it (the statement tests import their modules directly).
"""

from __future__ import annotations

import importlib

from .statement import REGISTRY

__all__ = ["MODULES", "load_all"]

MODULES = ("sec3", "sec4", "misprints", "sec5", "sec6", "appendix_c", "figure2")


def load_all():
    """Import every statement module (idempotent) and return the registry."""
    for name in MODULES:
        importlib.import_module(f"{__package__}.{name}")
    return REGISTRY
