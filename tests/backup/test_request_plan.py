"""Tests for lookervault.backup.request_plan: the plan's prediction equals a real run's count."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from lookervault.backup.request_plan import plan_requests
from lookervault.backup.run import ExtractOptions, extract
from lookervault.metrics import requests_by_type
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.vault.store import Vault
from tests.backup.test_run import _settings
from tests.support import assert_vault_equals, vault_hashes

pytestmark = pytest.mark.anyio


async def _plan_and_run(
    options: MockOptions, db: Path, extract_options: ExtractOptions
) -> tuple[dict[str, int], dict[str, int], MockLooker]:
    """(predicted, actual) requests per type, and the mock, for one plan then one full run."""
    mock = MockLooker(options)
    transport = httpx.ASGITransport(app=mock)
    plan = await plan_requests(_settings(), extract_options, transport=transport)
    served_by_plan = mock.stats.requests
    with Vault(db) as vault:
        result = await extract(_settings(), vault, extract_options, transport=transport)
    assert result.status == "complete"
    assert result.metrics["requests"] == plan.requests
    # The plan stored nothing and what it sent is what it says it spent (plus its logout).
    assert served_by_plan == plan.spent + 1
    return plan.requests_by_type, requests_by_type(result.metrics), mock


async def test_plan_equals_a_full_run_of_the_demo_dataset(tmp_path: Path) -> None:
    """On the demo dataset with default options, predicted requests per type are exact."""
    predicted, actual, _ = await _plan_and_run(
        MockOptions(preset="demo"), tmp_path / "v.db", ExtractOptions()
    )
    assert predicted == actual
    assert actual["looks"] > actual["dashboards"]  # a get-by-id per look


@pytest.mark.parametrize(
    "options",
    [
        MockOptions(api_user="nonadmin"),
        MockOptions(release="24.10"),
        MockOptions(seed=4),
        MockOptions(max_limit=3),
        MockOptions(max_limit=3, total_count=True),
        MockOptions(total_count=True),
    ],
    ids=["nonadmin", "release-24.10", "seed-4", "cap-3", "cap-3-total", "total"],
)
async def test_plan_equals_a_run_for_users_and_releases(
    options: MockOptions, tmp_path: Path
) -> None:
    """Limited users and old releases use other endpoints; the plan follows them exactly."""
    small = ExtractOptions(page_size=5, workers=2)
    predicted, actual, _ = await _plan_and_run(options, tmp_path / "v.db", small)
    assert predicted == actual


async def test_skipping_personal_folders_saves_one_request_per_user(tmp_path: Path) -> None:
    """--skip-personal-folder-access: one access request fewer per user's personal folder."""
    full, _, mock = await _plan_and_run(MockOptions(), tmp_path / "a.db", ExtractOptions())
    skipping = ExtractOptions(skip_personal_folder_access=True)
    fewer, actual, _ = await _plan_and_run(MockOptions(), tmp_path / "b.db", skipping)
    personal = sum(1 for f in mock.data.objects["folders"].values() if f["is_personal"])
    assert fewer == actual
    saved = full["content_metadata_access"] - fewer["content_metadata_access"]
    assert saved == personal > 0


async def test_skipping_personal_folders_marks_their_access_not_gone(tmp_path: Path) -> None:
    """A skipping run after a full one leaves the personal folders' access rules present."""
    db = tmp_path / "v.db"
    await _plan_and_run(MockOptions(), db, ExtractOptions())
    before = vault_hashes(db)["content_metadata_access"]
    skipping = ExtractOptions(skip_personal_folder_access=True)
    _, _, mock = await _plan_and_run(MockOptions(), db, skipping)
    assert vault_hashes(db)["content_metadata_access"] == before
    assert_vault_equals(db, mock.ground_truth_hashes())


async def test_plan_counts_every_item_under_a_capped_limit(tmp_path: Path) -> None:
    """A server capping `limit` below the listing's page: the plan still lists every item."""
    options = MockOptions(max_limit=4)
    plan = await plan_requests(
        _settings(), ExtractOptions(), transport=httpx.ASGITransport(app=MockLooker(options))
    )
    truth = MockLooker(options).data.objects
    for name in ("dashboards", "looks", "users", "folders"):
        assert plan.items[name] == len(truth[name]) > 4
