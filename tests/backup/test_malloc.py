"""Tests for lookervault.backup.malloc: glibc tuning applies on glibc and is skipped elsewhere."""

from __future__ import annotations

import ctypes
import platform
import sys

import pytest

from lookervault.backup import malloc


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_applies_on_glibc() -> None:
    """On glibc both mallopt settings are accepted (and a second call is harmless)."""
    assert malloc.release_large_buffers() is True
    assert malloc.release_large_buffers() is True


def test_skipped_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    """Other systems keep their allocator's defaults."""
    monkeypatch.setattr(sys, "platform", "darwin")
    assert malloc.release_large_buffers() is False


def test_skipped_without_mallopt(monkeypatch: pytest.MonkeyPatch) -> None:
    """A libc that cannot be loaded (or has no mallopt, as musl) is left alone."""

    def no_libc(*_args: object, **_kwargs: object) -> None:
        raise OSError("no libc here")

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert malloc.release_large_buffers() is False
