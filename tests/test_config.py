"""Tests for lookervault.config and .settings: looker.ini sections, LOOKERSDK_* overrides, clear errors."""

from __future__ import annotations

import configparser
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from looker_sdk.rtl import api_settings
from looker_sdk.rtl.api_settings import ApiSettings
from pydantic import SecretStr

from lookervault import settings as connection
from lookervault.config import DEFAULT_TIMEOUT_S, ENV_PREFIX
from lookervault.errors import ConfigError, ExitCode
from lookervault.settings import ConnectionSettings, load_connection_settings

SECRET = "s3cr3t-VALUE-never-shown"

INI = f"""\
[Looker]
base_url=https://first.looker.com:19999
client_id=first-id
client_secret={SECRET}
verify_ssl=true
timeout=30

[Staging]
base_url=http://127.0.0.1:8123/api/4.0/
client_id=staging-id
client_secret="{SECRET}"
verify_ssl=False
"""


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    """A looker.ini with two sections."""
    path = tmp_path / "looker.ini"
    path.write_text(INI)
    return path


def write_ini(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "custom.ini"
    path.write_text(body)
    return path


def test_first_section_by_default(ini: Path) -> None:
    """Without a section name the first section is read."""
    settings = load_connection_settings(ini)
    assert settings.base_url == "https://first.looker.com:19999"
    assert settings.client_id == "first-id"
    assert settings.client_secret.get_secret_value() == SECRET
    assert settings.verify_ssl is True
    assert settings.timeout == 30.0
    assert settings.api_url == "https://first.looker.com:19999/api/4.0"


def test_named_section(ini: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A named section is chosen; quotes and a trailing /api/4.0/ are stripped."""
    with caplog.at_level(logging.WARNING):
        settings = load_connection_settings(ini, "Staging")
    assert settings.base_url == "http://127.0.0.1:8123"
    assert settings.api_url == "http://127.0.0.1:8123/api/4.0"
    assert settings.client_secret.get_secret_value() == SECRET
    assert settings.verify_ssl is False
    assert settings.timeout == DEFAULT_TIMEOUT_S
    assert "verification is OFF" in caplog.text


def test_env_overrides_file(ini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LOOKERSDK_* variables win over the file."""
    monkeypatch.setenv("LOOKERSDK_BASE_URL", "https://env.looker.com")
    monkeypatch.setenv("LOOKERSDK_CLIENT_ID", "env-id")
    monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("LOOKERSDK_VERIFY_SSL", "0")
    monkeypatch.setenv("LOOKERSDK_TIMEOUT", "7.5")
    settings = load_connection_settings(ini)
    assert settings.base_url == "https://env.looker.com"
    assert settings.client_id == "env-id"
    assert settings.client_secret.get_secret_value() == "env-secret"
    assert settings.verify_ssl is False
    assert settings.timeout == 7.5


def test_env_only_without_default_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no looker.ini in the working directory the environment alone is enough."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOOKERSDK_BASE_URL", "https://env.looker.com/")
    monkeypatch.setenv("LOOKERSDK_CLIENT_ID", "env-id")
    monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", "env-secret")
    settings = load_connection_settings()
    assert settings.base_url == "https://env.looker.com"
    assert settings.verify_ssl is True


def test_default_file_in_working_directory(ini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """looker.ini in the working directory is read by default."""
    monkeypatch.chdir(ini.parent)
    assert load_connection_settings().client_id == "first-id"


def test_overrides_win_over_env(ini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Explicit overrides (CLI flags) win; None values are ignored."""
    monkeypatch.setenv("LOOKERSDK_CLIENT_ID", "env-id")
    settings = load_connection_settings(ini, overrides={"client_id": "flag-id", "base_url": None})
    assert settings.client_id == "flag-id"
    assert settings.base_url == "https://first.looker.com:19999"


def test_secret_never_in_repr_or_str(ini: Path) -> None:
    """repr and str of the settings hide the client secret."""
    settings = load_connection_settings(ini)
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    assert isinstance(settings.client_secret, SecretStr)


def test_settings_are_frozen(ini: Path) -> None:
    """Settings cannot be changed after loading."""
    settings = load_connection_settings(ini)
    with pytest.raises(ValueError, match="frozen"):
        settings.client_id = "other"  # type: ignore[misc]


def test_direct_construction_normalizes() -> None:
    """Building settings directly applies the same normalization."""
    settings = ConnectionSettings(
        base_url="https://x.looker.com/api/4.0", client_id="id", client_secret=SecretStr("s")
    )
    assert settings.base_url == "https://x.looker.com"


def test_missing_explicit_file(tmp_path: Path) -> None:
    """An explicit file that does not exist is an error naming it."""
    with pytest.raises(ConfigError, match="config file not found: .*nope.ini"):
        load_connection_settings(tmp_path / "nope.ini")


def test_unknown_section_lists_sections(ini: Path) -> None:
    """An unknown section is an error that lists the sections available."""
    with pytest.raises(ConfigError) as info:
        load_connection_settings(ini, "Prod")
    assert "no section [Prod]" in str(info.value)
    assert "Looker, Staging" in str(info.value)
    assert info.value.exit_code == ExitCode.USAGE


def test_section_without_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Naming a section when there is no looker.ini is an error, not silently ignored."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="section \\[Prod\\] asked for, but no looker.ini"):
        load_connection_settings(section="Prod")


def test_file_without_sections(tmp_path: Path) -> None:
    """An empty file is an error, not an IndexError."""
    with pytest.raises(ConfigError, match="no \\[section\\]"):
        load_connection_settings(write_ini(tmp_path, ""))


def test_file_not_ini(tmp_path: Path) -> None:
    """A file without a section header is an error, not a traceback."""
    with pytest.raises(ConfigError, match="not a valid ini file"):
        load_connection_settings(write_ini(tmp_path, f"client_secret={SECRET}\n"))


@pytest.mark.parametrize("key", ["base_url", "client_id", "client_secret"])
def test_missing_required(tmp_path: Path, key: str) -> None:
    """Each missing required setting is named with the variable that sets it."""
    values = {"base_url": "https://x.looker.com", "client_id": "id", "client_secret": SECRET}
    del values[key]
    body = "[Looker]\n" + "".join(f"{k}={v}\n" for k, v in values.items())
    with pytest.raises(ConfigError) as info:
        load_connection_settings(write_ini(tmp_path, body))
    message = str(info.value)
    assert f"missing {key}" in message
    assert f"LOOKERSDK_{key.upper()}" in message
    assert SECRET not in message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("base_url=ftp://x.looker.com", "invalid base_url .*https://"),
        ("base_url=x.looker.com", "invalid base_url .*https://"),
        ("base_url=https://", "invalid base_url .*no host"),
        (
            "timeout=soon",
            "invalid timeout \\(timeout in \\[Looker\\] of .*custom.ini\\): 'soon' is not",
        ),
        ("timeout=0", "invalid timeout .*positive"),
        ("timeout=-3", "invalid timeout .*positive"),
        (
            "verify_ssl=maybe",
            "invalid verify_ssl \\(verify_ssl in \\[Looker\\] of .*custom.ini\\): 'maybe'",
        ),
    ],
)
def test_invalid_values(tmp_path: Path, line: str, expected: str) -> None:
    """Each invalid value is one clear line without the secret."""
    base = {"base_url": "https://x.looker.com", "client_id": "id", "client_secret": SECRET}
    key = line.split("=", 1)[0]
    base.pop(key, None)
    body = "[Looker]\n" + "".join(f"{k}={v}\n" for k, v in base.items()) + line + "\n"
    with pytest.raises(ConfigError, match=expected) as info:
        load_connection_settings(write_ini(tmp_path, body))
    assert SECRET not in str(info.value)
    assert "\n" not in str(info.value)


def test_interpolation_error_hides_secret(tmp_path: Path) -> None:
    """A '%' in the secret is reported without quoting the secret."""
    body = "[Looker]\nbase_url=https://x.looker.com\nclient_id=id\nclient_secret=ab%cd\n"
    with pytest.raises(ConfigError, match="client_secret") as info:
        load_connection_settings(write_ini(tmp_path, body))
    assert "ab%cd" not in str(info.value)


def test_invalid_env_value(ini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad LOOKERSDK_* value is reported with the variable's name."""
    monkeypatch.setenv("LOOKERSDK_VERIFY_SSL", "sometimes")
    with pytest.raises(ConfigError, match="LOOKERSDK_VERIFY_SSL"):
        load_connection_settings(ini)


@pytest.mark.parametrize(("key", "value"), [("verify_ssl", "sometimes"), ("timeout", "soon")])
def test_bad_value_names_its_source(
    ini: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: str
) -> None:
    """A bad value is blamed on the variable that set it, or on the ini file and section."""
    monkeypatch.setenv(f"LOOKERSDK_{key.upper()}", value)
    with pytest.raises(ConfigError) as info:
        load_connection_settings(ini)
    assert str(info.value).startswith(f"invalid {key} (LOOKERSDK_{key.upper()}): '{value}'")
    monkeypatch.delenv(f"LOOKERSDK_{key.upper()}")
    bad = ini.read_text().replace("[Staging]", f"{key}={value}\n[Staging]")
    ini.write_text(bad.replace(f"{key}=", "#", 1))
    with pytest.raises(ConfigError) as info:
        load_connection_settings(ini, "Looker")
    assert str(info.value).startswith(f"invalid {key} ({key} in [Looker] of {ini}): '{value}'")
    assert "LOOKERSDK" not in str(info.value)


def test_deprecated_keys_are_ignored(tmp_path: Path) -> None:
    """Old looker.ini keys (api_version) neither warn nor fail."""
    body = (
        "[Looker]\napi_version=4.0\nbase_url=https://x.looker.com\nclient_id=id\nclient_secret=s\n"
    )
    assert load_connection_settings(write_ini(tmp_path, body)).client_id == "id"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that cannot be opened is one ConfigError line naming it."""
    ini = write_ini(tmp_path, f"[Looker]\nclient_secret={SECRET}\n")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(connection, "open", refuse, raising=False)  # chmod 000 is no bar to root
    with pytest.raises(ConfigError, match="custom.ini: cannot be read \\(PermissionError\\)"):
        load_connection_settings(ini)


def test_percent_escape_and_utf8(tmp_path: Path) -> None:
    """A literal %% reads as %, and the file is read as UTF-8."""
    body = "[Looker]\nbase_url=https://x.looker.com\nclient_id=caf\u00e9\nclient_secret=100%%\n"
    settings = load_connection_settings(write_ini(tmp_path, body))
    assert settings.client_id == "caf\u00e9"
    assert settings.client_secret.get_secret_value() == "100%"


def test_loading_does_not_import_looker_sdk(ini: Path) -> None:
    """load_connection_settings never imports looker_sdk (its generated SDK costs ~20 MB)."""
    code = (
        "import sys; from lookervault.settings import load_connection_settings as load; "
        "load(sys.argv[1]); print('looker_sdk' in sys.modules, 'looker_sdk.rtl' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX + "_")}
    done = subprocess.run(
        [sys.executable, "-c", code, str(ini)],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


# ----- conformance with looker-sdk's own reader ----------------------------------------------

_CONFORMANCE_EXAMPLES = 400
_CONFORMANCE = settings(max_examples=_CONFORMANCE_EXAMPLES, deadline=None, database=None)
_SDK_KEYS = ("client_id", "client_secret", "base_url", "verify_ssl", "timeout")
_KEY_NAMES = (
    *_SDK_KEYS,
    "redirect_uri",
    "looker_url",
    "Client_ID",  # option names are case-insensitive
    "BASE_URL",
    "api_version",  # deprecated keys looker-sdk drops
    "embed_secret",
    "unknown",
)
_SECTION_NAMES = ("Looker", "Staging", "looker", "DEFAULT")
_TRICKY_VALUES = (
    "",
    '""',
    "''",
    '"',
    "'",
    "'\"'",
    '"quoted"',
    "'half",
    'half"',
    "in'side",
    "%%",
    "%",
    "100%%",
    "a%b",
    "%(client_id)s",
    "%(base_url)s/api",
    "%(missing)s",
    "%(client_id)",
    "https://x.looker.com:19999",
    "true",
    "30",
)
# Quotes, % escapes and the ini syntax's own characters are where two readers would differ;
# the % cases are mostly in _TRICKY_VALUES, so that most files are valid and get compared.
_TEXTS = st.text(alphabet="aZ09 :/._-=;#\"'()s", max_size=12)
_VALUES = st.one_of(
    st.sampled_from(_TRICKY_VALUES),
    _TEXTS,
    _TEXTS,
    st.builds("{}\n  {}".format, _TEXTS, _TEXTS),  # a value continued on the next line
)
_OPTIONS = st.lists(
    st.tuples(st.sampled_from(_KEY_NAMES), st.sampled_from(("=", ":", " = ")), _VALUES),
    max_size=6,
    unique_by=lambda option: option[0].lower(),
)
# Mostly harmless lines; a repeated key or a line without "=" makes looker-sdk raise.
_OTHER_LINES = st.lists(
    st.sampled_from(("", "# comment", "; comment", "", "", "", "client_id=again", "no separator")),
    max_size=1,
)
_SECTIONS = st.builds(
    lambda name, options, other: "\n".join([f"[{name}]", *map("".join, options), *other]),
    st.sampled_from(_SECTION_NAMES),
    _OPTIONS,
    _OTHER_LINES,
)
_INI_TEXTS = st.builds(
    lambda preamble, sections: "\n".join([*preamble, *sections]) + "\n",
    st.lists(
        st.sampled_from(("# looker.ini", "", ";", "client_id=before any section")), max_size=1
    ),
    st.lists(_SECTIONS, min_size=1, max_size=3, unique_by=lambda text: text.split("]", 1)[0]),
)
# looker-sdk reads no LOOKERSDK_REDIRECT_URI or LOOKERSDK_LOOKER_URL: set them to check that.
_ENVIRONMENTS = st.fixed_dictionaries(
    {
        f"{ENV_PREFIX}_{key.upper()}": st.one_of(st.none(), st.just(""), _VALUES)
        for key in (*_SDK_KEYS, "redirect_uri", "looker_url")
    }
)
# What looker-sdk's read_config raises on a bad file or section; we raise ConfigError instead.
_LOOKER_SDK_ERRORS = (configparser.Error, IndexError)


def _read_with_looker_sdk(filename: str, section: str | None) -> dict[str, str] | None:
    # ApiSettings.__init__ would also run int(timeout) and its own bool parsing, which refuse
    # values ("7.5", "on") its reader returns and we accept: skip it, compare the reader alone.
    reader = ApiSettings.__new__(ApiSettings)
    reader.filename, reader.section, reader.env_prefix = filename, section, ENV_PREFIX
    opened: list[IO[str]] = []

    def open_and_track(*args: Any, **kwargs: Any) -> IO[str]:
        opened.append(open(*args, **kwargs))
        return opened[-1]

    # read_config leaves its file open when parsing fails: close it ourselves.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(api_settings, "open", open_and_track, raising=False)
        try:
            return dict(reader.read_config())
        except _LOOKER_SDK_ERRORS:
            return None
        finally:
            for file in opened:
                file.close()


@_CONFORMANCE
@given(
    ini=_INI_TEXTS,
    has_file=st.sampled_from((True, True, True, False)),
    wanted=st.one_of(st.none(), st.none(), st.sampled_from((*_SECTION_NAMES, "Missing"))),
    env=_ENVIRONMENTS,
)
def test_reader_matches_looker_sdk(
    ini: str, has_file: bool, wanted: str | None, env: dict[str, str | None]
) -> None:
    """Our reader returns exactly what looker-sdk's read_config returns, or ConfigError if it raises."""
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        path = Path(tmp) / "looker.ini"
        if has_file:
            path.write_text(ini, encoding="utf-8")
        else:
            wanted = None  # without a file we refuse a section name; looker-sdk ignores it
        for name, value in env.items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        filename = str(path) if has_file else None
        expected = _read_with_looker_sdk(str(path), wanted)
        event("looker-sdk raises" if expected is None else f"compared, {len(expected)} keys")
        if expected is None:
            with pytest.raises(ConfigError):
                connection._read_settings(filename, wanted)
        else:
            assert connection._read_settings(filename, wanted)[1] == expected
