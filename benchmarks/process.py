"""Run a child process and measure it: wall time and CPU seconds from its rusage, peak RSS from /proc.

Peak RSS is read from the child's own VmHWM while it runs, not from rusage: Linux carries a
process's `ru_maxrss` across fork and exec, so a child of a benchmark harness that holds 170 MB
of ground truth reported at least 170 MB whatever it used itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Measured", "run_measured"]

_POLL_S = 0.02
_KB = 1024


@dataclass(frozen=True)
class Measured:
    """What one child process did; `killed` when the kill condition fired."""

    returncode: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    stdout: str
    stderr: str
    killed: bool = False


def run_measured(
    cmd: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    *,
    timeout_s: float = 3600.0,
    kill_when: Callable[[], bool] | None = None,
) -> Measured:
    """Run `cmd` to its end (or SIGKILL it once `kill_when()` is true) and read its rusage.

    wait4 gives the rusage of exactly this child (RUSAGE_CHILDREN would mix in the mock servers).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), env=dict(env), cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
        status, usage, killed, hwm_kib = _wait(proc, start, timeout_s, kill_when)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait
        out.seek(0)
        err.seek(0)
        return Measured(
            returncode=proc.returncode,
            wall_s=wall,
            cpu_s=usage.ru_utime + usage.ru_stime,
            peak_rss_mb=(hwm_kib or usage.ru_maxrss) / _KB,  # both in KiB
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
            killed=killed,
        )


def _wait(
    proc: subprocess.Popen[bytes],
    start: float,
    timeout_s: float,
    kill_when: Callable[[], bool] | None,
) -> tuple[int, os.struct_rusage, bool, int]:
    killed = False
    hwm_kib = 0
    while True:
        hwm_kib = max(hwm_kib, _high_water_kib(proc.pid))
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return status, usage, killed, hwm_kib
        if not killed and kill_when is not None and kill_when():
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
        elif time.perf_counter() - start > timeout_s:
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
        time.sleep(_POLL_S)


def _high_water_kib(pid: int) -> int:
    """The process's peak resident set so far (VmHWM), 0 when /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0
