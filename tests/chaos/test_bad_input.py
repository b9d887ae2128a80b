"""Bad input gets one clear line and the documented exit status, never a traceback."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookervault.backup.run import ExtractOptions, extract
from lookervault.errors import ConfigError
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings, load_connection_settings
from lookervault.vault.store import Vault
from tests.chaos.support import run_cli
from tests.support import assert_vault_equals

_SECRET = "Hypothesis-Secret-42"
_FLAG_EXAMPLES = 60
_CONFIG_EXAMPLES = 80
# capsys/tmp_path are shared by the examples of one test: each example reads its own output.
_FLAGS = settings(
    max_examples=_FLAG_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
_CONFIGS = settings(max_examples=_CONFIG_EXAMPLES, deadline=None, database=None)
_UNREACHABLE = "http://127.0.0.1:9"  # never contacted: every case fails before the network


def _assert_usage_error(outcome, *fragments: str) -> None:
    assert outcome.code == 2, outcome.err
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), outcome.err
    assert "Traceback" not in outcome.err
    for fragment in fragments:
        assert fragment in lines[0]


# ----- flags ---------------------------------------------------------------------------------

_OUT_OF_RANGE = st.one_of(st.integers(max_value=0), st.integers(min_value=51)).map(str)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# Letters and punctuation, but not what float() reads ("inf", "nan"...): see the report on inf.
_NOT_A_NUMBER = st.text(
    alphabet=st.characters(codec="ascii", categories=["L", "P"]), min_size=1, max_size=8
).filter(lambda s: not s.startswith("-") and not _is_float(s))


@_FLAGS
@given(value=st.one_of(_OUT_OF_RANGE, _NOT_A_NUMBER, st.sampled_from(["0", "51", "-1", "abc"])))
def test_bad_workers(value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--workers outside 1-50 or not a number: exit 2 naming the flag, nothing created."""
    db = tmp_path / "never.db"
    outcome = run_cli(capsys, "extract", "--db", str(db), f"--workers={value}")
    _assert_usage_error(outcome, "workers")
    assert not db.exists()


@_FLAGS
@given(
    flag=st.sampled_from(["--rate-limit-per-second", "--rate-limit-per-minute"]),
    # "none" and "null" (any case) are cyclopts' spellings of the default, unlimited:
    # documented, not errors.
    value=st.one_of(
        st.floats(max_value=0, allow_nan=False).map(repr),
        _NOT_A_NUMBER.filter(lambda s: s.lower() not in {"none", "null"}),
    ),
)
def test_bad_rates(flag: str, value: str, tmp_path: Path, capsys) -> None:
    """Zero, negative or non-numeric rates: exit 2 naming the flag."""
    outcome = run_cli(capsys, "extract", "--db", str(tmp_path / "v.db"), f"{flag}={value}")
    _assert_usage_error(outcome, flag.removeprefix("--"))


@pytest.mark.parametrize("value", ["inf", "Infinity", "1e999"])
def test_infinite_rates(value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An infinite rate is a usage error naming the flag, not an unexpected failure."""
    outcome = run_cli(
        capsys, "extract", "--db", str(tmp_path / "v.db"), f"--rate-limit-per-second={value}"
    )
    _assert_usage_error(outcome, "rate-limit-per-second")


@_FLAGS
@given(name=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12))
def test_unknown_content_types(name: str, tmp_path: Path, capsys) -> None:
    """A content type that does not exist: exit 2 listing the valid ones."""
    from lookervault.content import canonical_name

    if canonical_name(name) is not None:  # a type's name, in any case, singular or plural
        return
    outcome = run_cli(capsys, "extract", "--db", str(tmp_path / "v.db"), name)
    _assert_usage_error(outcome, f"unknown content type '{name}'", "valid: dashboards")


# ----- config files and environment values ---------------------------------------------------

_KEYS = ("base_url", "client_id", "client_secret", "verify_ssl", "timeout")
_BAD_VALUES = {
    "base_url": st.one_of(
        st.sampled_from(["ftp://x", "looker.test", "http://", "https://h?x=1", "mailto:a@b"]),
        st.text(max_size=20).filter(lambda s: "://" not in s),
    ),
    "verify_ssl": st.text(max_size=8).filter(
        lambda s: (
            s.strip().lower()
            not in {"yes", "y", "true", "t", "1", "on", "no", "n", "false", "f", "0", "off", ""}
        )
    ),
    "timeout": st.one_of(
        st.sampled_from(["abc", "-1", "0", "nan", "inf", "1e999", "ten"]),
        st.text(alphabet="abcxyz -", min_size=1, max_size=6),
    ),
}
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="%\r\n"),
    max_size=20,
)


def _fits_one_ini_line(value: str) -> bool:
    return value.isprintable() and value == value.strip() and "%" not in value


def _write_ini(path: Path, section: str, values: dict[str, str]) -> Path:
    lines = [f"[{section}]", *(f"{key}={value}" for key, value in values.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@_CONFIGS
@given(key=st.sampled_from(sorted(_BAD_VALUES)), data=st.data())
def test_bad_ini_values_are_one_clear_line(key: str, data: st.DataObject, tmp_path_factory) -> None:
    """A wrong value in looker.ini: ConfigError naming the key, never echoing the secret."""
    values = {"base_url": "https://looker.test", "client_id": "id", "client_secret": _SECRET}
    values[key] = data.draw(_BAD_VALUES[key].filter(_fits_one_ini_line))
    ini = _write_ini(tmp_path_factory.mktemp("ini") / "looker.ini", "Looker", values)
    try:
        load_connection_settings(ini)
    except ConfigError as exc:
        message = str(exc)
        assert len(message.splitlines()) == 1 and key in message
        assert _SECRET not in message
        assert exc.exit_code == 2
    else:  # blank values fall back to the defaults, which is fine
        assert values[key].strip() == "" or key == "base_url"


@_CONFIGS
@given(
    values=st.dictionaries(st.sampled_from(_KEYS), _TEXT, max_size=5),
    section=st.sampled_from(["Looker", "Other"]),
    wanted=st.one_of(st.none(), st.sampled_from(["Looker", "Missing"])),
)
def test_any_ini_either_loads_or_fails_cleanly(
    values: dict[str, str], section: str, wanted: str | None, tmp_path_factory
) -> None:
    """Whatever the file holds (missing keys, unknown section...): settings or one ConfigError line."""
    if "client_secret" in values:  # a recognisable secret, so the grep below means something
        values["client_secret"] = _SECRET
    ini = _write_ini(tmp_path_factory.mktemp("ini") / "looker.ini", section, values)
    try:
        loaded = load_connection_settings(ini, wanted)
    except ConfigError as exc:
        assert len(str(exc).splitlines()) == 1
        assert _SECRET not in str(exc)
    else:
        assert isinstance(loaded, ConnectionSettings)
        assert loaded.base_url.startswith(("http://", "https://"))


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"LOOKERSDK_BASE_URL": "gopher://looker"}, "base_url"),
        ({"LOOKERSDK_TIMEOUT": "soon"}, "timeout"),
        ({"LOOKERSDK_VERIFY_SSL": "maybe"}, "verify_ssl"),
        ({"LOOKERSDK_CLIENT_ID": ""}, "missing client_id"),
        ({"LOOKERSDK_CLIENT_SECRET": " "}, "missing client_secret"),
    ],
)
def test_bad_environment_through_the_cli(
    env: dict[str, str],
    fragment: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Bad LOOKERSDK_* values: exit 2 with one line, before any vault or connection."""
    base = {
        "LOOKERSDK_BASE_URL": _UNREACHABLE,
        "LOOKERSDK_CLIENT_ID": "id",
        "LOOKERSDK_CLIENT_SECRET": _SECRET,
    }
    for name, value in {**base, **env}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no looker.ini here
    outcome = run_cli(capsys, "extract", "--db", str(tmp_path / "v.db"))
    _assert_usage_error(outcome, fragment)
    assert _SECRET not in outcome.err
    assert not (tmp_path / "v.db").exists()


def test_unknown_section_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--section naming a section the file lacks: exit 2 listing the sections it has."""
    ini = _write_ini(tmp_path / "looker.ini", "Looker", {"base_url": _UNREACHABLE})
    outcome = run_cli(capsys, "extract", "--config", str(ini), "--section", "Nope")
    _assert_usage_error(outcome, "no section [Nope]", "sections: Looker")


# ----- server answers of the wrong shape -----------------------------------------------------


def _settings() -> ConnectionSettings:
    mock = MockOptions()
    return ConnectionSettings(
        base_url="http://mock", client_id=mock.client_id, client_secret=mock.client_secret
    )


class _WrongFirst:
    """ASGI wrapper: requests matching `pattern` (path?query), after `skip` of them, get `bodies`."""

    def __init__(self, app: MockLooker, pattern: str, bodies: list[bytes], skip: int = 0) -> None:
        self.app, self.pattern, self.bodies = app, re.compile(pattern), list(bodies)
        self.skip, self.served = skip, 0

    def _matches(self, scope) -> bool:
        target = scope["path"] + "?" + scope["query_string"].decode("latin-1")
        if scope["type"] != "http" or not self.bodies or not self.pattern.search(target):
            return False
        self.skip -= 1
        return self.skip < 0

    async def __call__(self, scope, receive, send) -> None:
        if self._matches(scope):
            self.served += 1
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": self.bodies.pop(0)})
            return
        await self.app(scope, receive, send)


async def _extract_until_complete(app, db: Path, rounds: int = 4) -> str:
    status = "partial"
    for attempt in range(rounds):
        with Vault(db) as vault:
            options = ExtractOptions(content_types=("looks",), workers=2, page_size=4)
            options = dataclasses.replace(options, resume=attempt > 0)
            result = await extract(
                _settings(), vault, options, transport=httpx.ASGITransport(app=app)
            )
        status = result.status
        if status != "partial":
            break
        assert result.failures, "a partial run must name what failed"
    return status


_WRONG_LISTS = [b'{"items": []}', b'[{"title": "no id"}]', b'[{"id": "\xff\xfe"}]']
_WRONG_ITEMS = [b"[]", b'{"title": "no id"}']


@pytest.mark.anyio
async def test_list_answers_of_the_wrong_shape_are_failures_not_data(tmp_path: Path) -> None:
    """An object for a list, items without an id, non-UTF-8 bytes: recorded, retried, never stored."""
    mock = MockLooker(MockOptions(preset="tiny", seed=61))
    app = _WrongFirst(mock, r"/looks/search\?", _WRONG_LISTS)
    assert await _extract_until_complete(app, tmp_path / "v.db") == "complete"
    assert app.served == len(_WRONG_LISTS)
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), ["looks"])


@pytest.mark.anyio
async def test_single_answers_of_the_wrong_shape_are_failures_not_data(tmp_path: Path) -> None:
    """A list where one object belongs, an object without its id: recorded, never stored."""
    mock = MockLooker(MockOptions(preset="tiny", seed=62))
    app = _WrongFirst(mock, r"/looks/[0-9]+\?", _WRONG_ITEMS)
    assert await _extract_until_complete(app, tmp_path / "v.db") == "complete"
    assert app.served == len(_WRONG_ITEMS)
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), ["looks"])


@pytest.mark.anyio
async def test_id_listing_with_an_item_without_id_marks_nothing_gone(tmp_path: Path) -> None:
    """A reconcile listing with an id-less item is a failure, not proof that the rest vanished."""
    mock = MockLooker(MockOptions(preset="tiny", seed=63))
    # The second id listing of live looks is the one reconciliation reads after paging.
    listing = r"/looks/search\?.*deleted=false.*fields=id"
    app = _WrongFirst(mock, listing, [b'[{"title": "no id"}]'], skip=1)
    assert await _extract_until_complete(app, tmp_path / "v.db") == "complete"
    assert app.served == 1
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), ["looks"])
