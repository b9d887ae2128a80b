"""Which types a run backs up: those asked for, minus --exclude and the children it orphans."""

from __future__ import annotations

import pytest

from lookervault.backup.selection import select_types
from lookervault.errors import UsageError


def test_excluding_a_parent_excludes_its_children() -> None:
    """--exclude folders takes content_metadata_access with it, and says why."""
    selection = select_types(("content_metadata_access",), ("Folder",))
    assert [ct.name for ct in selection.types] == ["boards"]
    assert selection.excluded == {
        "folders": "--exclude",
        "content_metadata_access": "needs folders, which is excluded",
    }


def test_excluding_nothing_keeps_the_parents_a_child_needs() -> None:
    """Without --exclude a child type still brings its parents along."""
    selection = select_types(("content_metadata_access",))
    assert [ct.name for ct in selection.types] == [
        "folders", "boards", "content_metadata_access",
    ]  # fmt: skip
    assert selection.excluded == {}


def test_an_unknown_excluded_name_is_a_usage_error() -> None:
    """A misspelt --exclude is refused like a misspelt type."""
    with pytest.raises(UsageError, match="did you mean 'themes'"):
        select_types((), ("themez",))
