"""`lookervault restore` on the command line: selection parsing and usage errors (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookervault.cli.app import app
from lookervault.cli.restore import parse_selection
from lookervault.errors import UsageError


def test_types_with_ids_and_bare_types() -> None:
    """Ids follow their type; a type without ids means every item of it; any case, singular."""
    assert parse_selection(["dashboards", "1", "2", "Look", "7", "boards"]) == (
        (("dashboards", "1"), ("dashboards", "2"), ("looks", "7")),
        ("boards",),
    )


def test_id_before_any_type_is_refused() -> None:
    """A bare id names nothing."""
    with pytest.raises(UsageError, match="name a type before its ids"):
        parse_selection(["12", "dashboards"])


def test_unknown_type_suggests_the_nearest() -> None:
    """A typo gets the registry's suggestion."""
    with pytest.raises(UsageError, match="dashboards"):
        parse_selection(["dashbords", "1"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "name what to restore"),
        (["--plan", "--apply", "looks"], "exclude each other"),
        (["explores", "1"], "restore handles"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    args: list[str], message: str, small_vault: Path, capsys, monkeypatch
) -> None:
    """Bad input: one `error:` line on stderr, exit status 2, no traceback."""
    monkeypatch.setenv("LOOKERSDK_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LOOKERSDK_CLIENT_ID", "x")
    monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", "y")
    code = app(
        ["restore", *args, "--db", str(small_vault)],
        exit_on_error=False,
        result_action="return_value",
    )
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_missing_vault_is_a_usage_error(tmp_path: Path, capsys, monkeypatch) -> None:
    """Restore reads an existing vault only."""
    monkeypatch.setenv("LOOKERSDK_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LOOKERSDK_CLIENT_ID", "x")
    monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", "y")
    code = app(
        ["restore", "looks", "--db", str(tmp_path / "none.db")],
        exit_on_error=False,
        result_action="return_value",
    )
    assert code == 2 and "no vault at" in capsys.readouterr().err
