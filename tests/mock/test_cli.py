"""The `lookervault mock serve` command line: flags map to MockOptions, bad values are usage errors."""

from __future__ import annotations

from unittest import mock

import pytest

from lookervault.mock import cli
from lookervault.mock.cli import ServeFlags, mock_app
from lookervault.mock.options import MockOptions


def test_defaults_match_mock_options() -> None:
    """With no flags the served options are MockOptions' defaults."""
    assert ServeFlags().options() == MockOptions()


def test_flags_reach_the_app_and_server() -> None:
    """Every flag lands in MockOptions or the server call; --count overrides preset counts."""
    tokens = [
        "serve", "--port", "8123", "--host", "127.0.0.1", "--client-id", "me",
        "--client-secret", "pw", "--seed", "4", "--preset", "demo",
        "--count", "users=7", "dashboards=3", "--latency-ms", "5", "--latency-jitter-ms", "1",
        "--rate-limit-per-s", "20", "--retry-after-s", "2", "--fault-rate", "0.1",
        "--rate-limit-burst", "5", "--rate-limit-per-minute", "600",
        "--drop-rate", "0.05", "--token-ttl-s", "60", "--mutate-every", "9",
    ]  # fmt: skip
    with mock.patch.object(cli, "run") as run, mock.patch.object(cli, "MockLooker") as looker:
        with pytest.raises(SystemExit) as exit_info:
            mock_app(tokens)
    assert exit_info.value.code == 0
    expected = MockOptions(
        seed=4, preset="demo", counts={"users": 7, "dashboards": 3}, client_id="me",
        client_secret="pw", token_ttl_s=60, latency_ms=5, latency_jitter_ms=1,
        rate_limit_per_s=20, retry_after_s=2, fault_rate=0.1, drop_rate=0.05, mutate_every=9,
        rate_limit_burst=5, rate_limit_per_minute=600,
    )  # fmt: skip
    looker.assert_called_once_with(expected)
    assert run.call_args.args[1:] == ("127.0.0.1", 8123)


@pytest.mark.parametrize(
    "flags",
    [
        ["--port", "abc"],
        ["--port", "70000"],
        ["--preset", "XXL"],
        ["--count", "gizmos=3"],
        ["--count", "users=many"],
        ["--fault-rate", "2"],
        ["--latency-ms", "-1"],
        ["--bogus"],
    ],
)
def test_bad_flags_are_usage_errors(flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Bad flag values exit 2 through cyclopts before anything is served."""
    with mock.patch.object(cli, "run") as run, pytest.raises(SystemExit) as exit_info:
        mock_app(["serve", *flags])
    assert exit_info.value.code == 2
    run.assert_not_called()
    assert capsys.readouterr().out == ""


def test_help_never_shows_the_secret(capsys: pytest.CaptureFixture[str]) -> None:
    """`mock serve --help` documents the flags without printing the default secret."""
    with pytest.raises(SystemExit):
        mock_app(["serve", "--help"])
    out = capsys.readouterr().out
    assert "--client-secret" in out and "--mutate-every" in out
    assert MockOptions().client_secret not in out


def test_chaos_flags_reach_the_app() -> None:
    """The chaos knobs are flags too, so a scripted mock can misbehave the same way."""
    tokens = [
        "serve", "--fault-burst", "3", "--storm-rate", "0.01", "--storm-s", "0.5",
        "--stall-rate", "0.02", "--stall-s", "2", "--bad-json-rate", "0.03", "--html-rate", "0.04",
        "--shift-rate", "0.1", "--wrong-shape-rate", "0.05", "--wrong-item-rate", "0.06",
        "--big-item-bytes", "1024", "--no-wrong-shape-listings",
    ]  # fmt: skip
    with mock.patch.object(cli, "run"), mock.patch.object(cli, "MockLooker") as looker:
        with pytest.raises(SystemExit) as exit_info:
            mock_app(tokens)
    assert exit_info.value.code == 0
    expected = MockOptions(
        fault_burst=3, storm_rate=0.01, storm_s=0.5, stall_rate=0.02, stall_s=2,
        bad_json_rate=0.03, html_rate=0.04, shift_rate=0.1, wrong_shape_rate=0.05,
        wrong_item_rate=0.06, big_item_bytes=1024, wrong_shape_listings=False,
    )  # fmt: skip
    looker.assert_called_once_with(expected)


def test_port_in_use_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """serve on a port another socket listens on prints one error line and exits 2."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as exit_info:
            mock_app(["serve", "--port", str(port)])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: port {port} is in use\n" and captured.out == ""


def test_serve_flags_are_keyword_only() -> None:
    """A bare value is not taken as --port: every flag is keyword-only."""
    with mock.patch.object(cli, "run"), mock.patch.object(cli, "MockLooker"):
        with pytest.raises(SystemExit) as exit_info:
            mock_app(["serve", "8123"])
    assert exit_info.value.code != 0
