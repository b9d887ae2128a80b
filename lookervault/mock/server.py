"""Serve the mock Looker over loopback with uvicorn: blocking, or in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Callable, Generator
from contextlib import contextmanager

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from lookervault.mock.app import MockLooker
from lookervault.mock.chaos import DroppedConnectionError

__all__ = ["run", "serve_in_thread"]

logger = logging.getLogger(__name__)

_STARTUP_TIMEOUT_S = 30.0
_SHUTDOWN_TIMEOUT_S = 30.0
_LISTEN_BACKLOG = 2048
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _DropFilter(logging.Filter):
    """Hide uvicorn's traceback for connections the mock drops on purpose (drop_rate)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnectionError)


_DROP_FILTER = _DropFilter()


class _Server(uvicorn.Server):
    """uvicorn's server, except a signal stops it without being re-raised afterwards.

    uvicorn re-raises the captured SIGTERM once shut down, which kills the process with that
    signal; the mock CLI promises a clean exit 0 instead.
    """

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_started()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in _STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


def _bind(host: str, port: int) -> socket.socket:
    """Bind (port 0: a free port chosen by the OS) and listen, so the URL is known up front."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(_LISTEN_BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _server(app: MockLooker, on_started: Callable[[], None], *, quiet_logging: bool) -> _Server:
    logging.getLogger("uvicorn.error").addFilter(_DROP_FILTER)
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        lifespan="on",
        # In a thread (tests) leave the process's logging alone; the CLI wants uvicorn's.
        log_config=None if quiet_logging else LOGGING_CONFIG,
    )
    return _Server(config, on_started)


def _run_server(server: _Server, sock: socket.socket) -> None:
    with asyncio.Runner(loop_factory=server.config.get_loop_factory()) as runner:
        runner.run(server.serve(sockets=[sock]))


def run(
    app: MockLooker,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve app until SIGINT/SIGTERM (or server.should_exit); call ready(base_url) once listening.

    Args:
        app: the mock to serve.
        host: interface to bind (loopback by default).
        port: TCP port; 0 picks a free one.
        ready: called once with the base URL ("http://127.0.0.1:54321", no /api path).
    """
    with _bind(host, port) as sock:
        url = _base_url(sock)
        server = _server(app, lambda: ready(url) if ready else None, quiet_logging=False)
        _run_server(server, sock)


@contextmanager
def serve_in_thread(
    app: MockLooker, host: str = "127.0.0.1", port: int = 0
) -> Generator[str, None, None]:
    """Serve app from a daemon thread; yield its base URL once it accepts connections, then stop it."""
    started = threading.Event()
    server = _server(app, started.set, quiet_logging=True)
    failure: list[BaseException] = []

    def target() -> None:
        try:
            _run_server(server, sock)
        except BaseException as exc:  # reported to the caller's thread below
            failure.append(exc)
        finally:
            started.set()

    with _bind(host, port) as sock:
        thread = threading.Thread(target=target, name="mock-looker", daemon=True)
        thread.start()
        try:
            _wait_started(started, failure)
            yield _base_url(sock)
        finally:
            server.should_exit = True
            thread.join(_SHUTDOWN_TIMEOUT_S)


def _wait_started(started: threading.Event, failure: list[BaseException]) -> None:
    if not started.wait(_STARTUP_TIMEOUT_S):
        raise TimeoutError("the mock Looker did not start in time")
    if failure:
        raise RuntimeError("the mock Looker failed to start") from failure[0]
