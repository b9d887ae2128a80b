"""kill -9 during `restore --apply` at seeded random writes, then `--resume`: no duplicates and
the same end state as a restore that was never interrupted."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from lookervault.mock.app import MockLooker
from lookervault.mock.server import serve_in_thread
from lookervault.restore.compare import normalize
from lookervault.restore.run import RestoreOptions
from lookervault.restore.select import Wanted
from tests.chaos.conftest import TALLY, trials
from tests.chaos.support import child_env, cli_command, run_child
from tests.restore.scene import (
    RESTORED,
    Recorder,
    backup,
    fullest_folder,
    hard_delete_folder,
    run_restore,
    writable_mock,
)

pytestmark = pytest.mark.integration
_SEED = 3


def _state(mock: MockLooker) -> dict[str, list[bytes]]:
    """Every restorable object without what Looker assigns, as a sorted multiset per type."""
    truth = mock.ground_truth()
    return {
        kind: sorted(
            orjson.dumps(normalize(obj), option=orjson.OPT_SORT_KEYS)
            for obj in truth[kind].values()
        )
        for kind in RESTORED
    }


async def _deleted_scene(
    db: Path, base_url: str = "http://mock", mock: MockLooker | None = None
) -> tuple[MockLooker, str]:
    mock = mock or writable_mock(seed=_SEED)
    await backup(mock, db, base_url)
    folder = fullest_folder(mock)
    await hard_delete_folder(mock, folder)
    return mock, folder


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], int]:
    """The end state and write count of the same restore, never interrupted."""

    async def build() -> tuple[dict[str, Any], int]:
        db = tmp_path_factory.mktemp("reference") / "v.db"
        mock, folder = await _deleted_scene(db)
        recorder = Recorder(mock)
        result = await run_restore(
            recorder, db, RestoreOptions(wanted=Wanted(folder=folder), apply=True)
        )
        assert result.ok
        return _state(mock), len(recorder.writes)

    return anyio.run(build)


@pytest.mark.parametrize("trial", trials(3, 20))
def test_kill_during_apply_then_resume(trial: int, tmp_path: Path, reference) -> None:
    """The child is SIGKILLed just after Looker applied its k-th write, before the answer."""
    expected, writes = reference
    db = tmp_path / "v.db"
    mock = writable_mock(seed=_SEED)
    kill_at = random.Random(f"restore-kill:{trial}").randint(1, writes - 1)
    child: dict[str, subprocess.Popen[str]] = {}

    def kill(count: int) -> None:
        if count == kill_at and "proc" in child:
            os.kill(child["proc"].pid, signal.SIGKILL)

    recorder = Recorder(mock, before_answer=kill)
    with serve_in_thread(recorder) as base_url:  # type: ignore[arg-type]
        _, folder = anyio.run(_deleted_scene, db, base_url, mock)
        env = child_env(base_url)
        args = cli_command("restore", "--folder", folder, "--apply", "--db", str(db), "--json")
        child["proc"] = proc = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        proc.communicate(timeout=120)
        assert proc.returncode == -signal.SIGKILL, proc.returncode
        child.clear()
        resumed = run_child(cli_command("restore", "--resume", "--db", str(db), "--json"), env)
        assert resumed.code == 0, resumed.err
        again = run_child(
            cli_command("restore", "--folder", folder, "--db", str(db), "--json"), env
        )
    plan = json.loads(again.out)
    assert {entry["action"] for entry in plan["entries"]} == {"SKIP"}
    assert _state(mock) == expected
    TALLY["restore kill -9 trials"] += 1
