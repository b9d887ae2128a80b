"""The mock's use knob: views move telemetry of dashboards and looks, never updated_at."""

from __future__ import annotations

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.use import USED_TYPES


def _snapshot(app: MockLooker) -> dict[str, dict[str, dict]]:
    return {t: dict(app.data.objects[t]) for t in USED_TYPES}


def test_simulated_views_move_telemetry_only() -> None:
    """view_count rises by the views; updated_at and every non-telemetry field stay."""
    app = MockLooker(MockOptions(preset="tiny"))
    before = _snapshot(app)
    assert app.simulate_use(50) == 50
    after = _snapshot(app)
    total = 0
    for content_type in USED_TYPES:
        for item_id, old in before[content_type].items():
            new = after[content_type][item_id]
            changed = {k for k in new if new.get(k) != old.get(k)}
            assert changed <= {"view_count", "last_viewed_at", "last_accessed_at", "favorite_count"}
            assert new["updated_at"] == old["updated_at"]
            total += int(new.get("view_count") or 0) - int(old.get("view_count") or 0)
    assert total == 50


def test_use_is_off_by_default() -> None:
    """Without views_every, serving requests views nothing."""
    app = MockLooker(MockOptions(preset="tiny"))
    before = _snapshot(app)
    for _ in range(20):
        app._apply_knobs()
    assert _snapshot(app) == before and app.views == 0


def test_views_every_views_as_requests_are_served() -> None:
    """views_every=2 views one item every second API request."""
    app = MockLooker(MockOptions(preset="tiny", views_every=2))
    for _ in range(20):
        app._apply_knobs()
    assert app.views == 10


def test_use_endpoint_views_and_refuses_bad_counts() -> None:
    """POST /__mock__/use?views=N views N items; a count that is no number or too big is 400."""
    from lookervault.mock.control import handle_control

    app = MockLooker(MockOptions(preset="tiny"))
    assert handle_control(app, "POST", "/use", {"views": "7"}).status == 200
    assert app.views == 7
    for bad in ("-1", "x", "100000000"):
        assert handle_control(app, "POST", "/use", {"views": bad}).status == 400
    assert app.views == 7
