"""Every module declares `__all__`, and every name in it exists."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import lookervault

_MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(lookervault.__path__, prefix="lookervault.")
    if m.name != "lookervault.__main__"
)


@pytest.mark.parametrize("name", _MODULES)
def test_module_declares_complete_all(name: str) -> None:
    """`__all__` exists and names only real attributes."""
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names missing attributes {missing}"


def test_version_comes_from_package_metadata() -> None:
    """`lookervault.__version__` is the installed distribution's version."""
    from importlib.metadata import version

    assert lookervault.__version__ == version("lookervault")
