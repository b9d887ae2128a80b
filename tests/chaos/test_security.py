"""Secrets stay secret, files stay private, TLS is verified, and tokens never leave the host."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from lookervault.vault.store import Vault
from tests.chaos.support import (
    child_env,
    cli_command,
    run_child,
    run_cli,
    run_started,
    set_connection_env,
)
from tests.support import assert_vault_equals

pytestmark = pytest.mark.integration

_SECRET = "s3cr3t-Client-Secret-for-the-grep-test"
_SECURE = MockOptions(preset="tiny", seed=51, client_secret=_SECRET, token_ttl_s=2, fault_rate=0.05)
_CERT_DAYS = "2"
_START_TIMEOUT_S = 30.0
_POLL_S = 0.02

# Run argv[1:] with umask 0, so only explicit modes keep files private.
_UMASK_0 = "import os, sys; os.umask(0); os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"


def test_secret_and_tokens_appear_nowhere(tmp_path: Path) -> None:
    """With --verbose the secret and every token stay out of stdout, stderr and the vault (-wal too)."""
    mock = MockLooker(_SECURE)
    db = tmp_path / "v.db"
    Vault(db).close()
    # An open reader keeps the -wal file after the run, so its bytes can be searched too.
    with (
        contextlib.closing(sqlite3.connect(db)) as reader,
        serve_in_thread(mock) as url,
    ):
        reader.execute("SELECT count(*) FROM items").fetchone()
        env = child_env(url, LOOKERSDK_CLIENT_SECRET=_SECRET)
        done = run_child(
            cli_command("extract", "--db", str(db), "--verbose", "--page-size", "4"), env
        )
        wrong = run_child(
            cli_command("extract", "--db", str(db), "--verbose", "--debug"),
            {**env, "LOOKERSDK_CLIENT_SECRET": _SECRET + "-wrong"},
        )
        files = [p for p in tmp_path.iterdir() if p.name.startswith("v.db")]
        blobs = [p.read_bytes() for p in files]
    assert done.code == 0, done.err[-2000:]
    assert wrong.code == 3
    assert "DEBUG" in done.err  # the verbose log really was written
    assert any(p.name == "v.db-wal" for p in files)
    assert len(mock.issued_tokens) >= 2  # the tokens expired and were renewed mid-run
    for secret in (_SECRET, *mock.issued_tokens):
        for text in (done.out, done.err, wrong.out, wrong.err):
            assert secret not in text
        for blob in blobs:
            assert secret.encode() not in blob


def test_vault_lock_and_export_are_private_even_with_umask_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The vault, its -wal/-shm, and an export are created 0600 whatever the umask."""
    mock = MockLooker(MockOptions(preset="tiny", seed=52))
    db, out = tmp_path / "v.db", tmp_path / "export.jsonl"
    umask0 = [sys.executable, "-c", _UMASK_0]
    with serve_in_thread(mock) as url:
        env = child_env(url)
        args = [*umask0, *cli_command("extract", "--db", str(db), "--page-size", "2")[1:]]
        with subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True) as child:
            deadline = time.monotonic() + _START_TIMEOUT_S
            while not run_started(db) and child.poll() is None and time.monotonic() < deadline:
                time.sleep(_POLL_S)
            # A reader open from mid-run to the end keeps -wal and -shm on disk to be checked.
            with contextlib.closing(sqlite3.connect(db)) as reader:
                reader.execute("SELECT count(*) FROM runs").fetchone()
                _, err = child.communicate(timeout=120)
                modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    tree = tmp_path / "tree"
    old_umask = os.umask(0)  # the exports run in this process: no other thread creates files
    try:
        exported = run_cli(capsys, "export", "--db", str(db), "--output", str(out))
        exported_files = run_cli(
            capsys, "export", "--db", str(db), "--format", "files", "--output", str(tree)
        )
    finally:
        os.umask(old_umask)
    assert child.returncode == 0, err
    assert exported.code == 0, exported.err
    assert {modes[n] for n in ("v.db", "v.db-wal", "v.db-shm")} == {0o600}
    assert out.stat().st_mode & 0o777 == 0o600
    assert exported_files.code == 0, exported_files.err
    written = [tree, *tree.rglob("*")]
    assert len(written) > 10
    for path in written:
        assert path.stat().st_mode & 0o777 == (0o700 if path.is_dir() else 0o600), path


def test_export_over_an_existing_readable_file_makes_it_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file another tool made 0644 is refused as is; exporting over it with --force makes it 0600."""
    db, out = tmp_path / "v.db", tmp_path / "export.jsonl"
    Vault(db).close()
    out.write_text("old\n")
    out.chmod(0o644)
    assert run_cli(capsys, "export", "--db", str(db), "--output", str(out)).code == 2
    assert out.read_text() == "old\n" and out.stat().st_mode & 0o777 == 0o644
    assert run_cli(capsys, "export", "--db", str(db), "--output", str(out), "--force").code == 0
    assert out.stat().st_mode & 0o777 == 0o600


# ----- TLS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 (made with the openssl CLI)."""
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    made = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            _CERT_DAYS,
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],  # fmt: skip
        capture_output=True,
    )
    if made.returncode != 0:
        pytest.skip(f"openssl cannot make a certificate: {made.stderr[-200:]!r}")
    return cert, key


@contextlib.contextmanager
def serve_tls(app: MockLooker, cert: Path, key: str | Path) -> Iterator[str]:
    """Serve app over HTTPS on a free loopback port from a thread; stop it afterwards."""
    config = uvicorn.Config(
        app,
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
        log_config=None,
        log_level="warning",
        lifespan="off",
        loop="asyncio",
    )
    server = uvicorn.Server(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            thread.join(0.01)
        assert server.started, "the TLS mock did not start"
        yield f"https://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(_START_TIMEOUT_S)
        sock.close()


def test_tls_verified_by_default_and_warned_when_off(self_signed, tmp_path: Path) -> None:
    """A self-signed certificate is refused with a clear line; turning checks off warns."""
    cert, key = self_signed
    mock = MockLooker(MockOptions(preset="tiny", seed=53))
    with serve_tls(mock, cert, key) as url:
        refused = run_child(cli_command("extract", "--db", str(tmp_path / "a.db")), child_env(url))
        off = run_child(
            cli_command("extract", "--db", str(tmp_path / "b.db"), "--quiet"),
            child_env(url, LOOKERSDK_VERIFY_SSL="false"),
        )
    assert refused.code == 3
    assert refused.err.strip().splitlines()[-1].startswith("error: cannot connect to https://")
    assert "TLS certificate failed verification" in refused.err
    assert "Traceback" not in refused.err
    assert off.code == 0, off.err
    assert "TLS certificate verification is OFF" in off.err
    assert_vault_equals(tmp_path / "b.db", mock.ground_truth_hashes())


@pytest.mark.parametrize("url", ["ftp://127.0.0.1:9", "file:///etc/passwd", "127.0.0.1:9"])
def test_only_http_base_urls(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any base URL but http(s) is a config error (exit 2) before any connection or vault."""
    set_connection_env(monkeypatch, url)
    done = run_cli(capsys, "extract", "--db", str(tmp_path / "v.db"))
    assert done.code == 2
    assert done.err.startswith("error: invalid base_url") and "https://" in done.err
    assert not (tmp_path / "v.db").exists()
