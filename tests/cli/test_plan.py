"""`lookervault extract --plan` and the request flags as a user types them."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from tests.chaos.support import run_cli, set_connection_env


@pytest.mark.integration
def test_plan_prints_a_row_per_type_and_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plan names each type's items and requests, the total, and what it cost; no vault."""
    db = tmp_path / "v.db"
    mock = MockLooker(MockOptions())
    with serve_in_thread(mock) as url:
        set_connection_env(monkeypatch, url)
        outcome = run_cli(capsys, "extract", "--plan", "--db", str(db), "looks")
    assert outcome.code == 0, outcome.err
    lines = outcome.out.splitlines()
    assert lines[0].startswith("plan: a full run would make ")
    looks = next(line.split() for line in lines if line.startswith("looks "))
    count = len(mock.data.objects["looks"])
    # Per variant (live, trash): two id listings of a page and the empty page that ends each
    # (backup/listing.py), a page of 100; and one get-by-id per look.
    assert looks == ["looks", str(count), str(2 * 2 * 2 + 2 + count)]
    assert lines[-1].startswith("this plan made ") and "nothing was stored" in lines[-1]
    assert not db.exists()


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_max_requests_must_be_a_positive_number(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--max-requests 0 or a word is a usage error (exit 2), before any connection."""
    outcome = run_cli(capsys, "extract", "--max-requests", value)
    assert outcome.code == 2
    assert outcome.err.startswith("error:") and "Traceback" not in outcome.err
