"""The /__mock__ control endpoints: the ground truth, the served counters and their reset."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import orjson

from lookervault.mock.options import MockStats
from lookervault.mock.responses import _not_found, _Response
from lookervault.mock.routes import _TRUE_WORDS

if TYPE_CHECKING:
    from lookervault.mock.app import MockLooker

__all__ = ["CONTROL_PREFIX", "handle_control"]

CONTROL_PREFIX = "/__mock__"
_MAX_VIEWS = 1_000_000  # bounds one /use request


def handle_control(app: MockLooker, method: str, path: str, query: dict[str, str]) -> _Response:
    """Answer one control request (path below CONTROL_PREFIX) about app."""
    if method == "GET" and path == "/ground_truth":
        hashes = query.get("hashes", "") in _TRUE_WORDS
        truth = app.ground_truth_hashes() if hashes else app.ground_truth()
        return _Response(200, orjson.dumps(truth))
    if method == "GET" and path == "/stats":
        data = app.stats.as_dict()
        data["mutation_log"] = [asdict(m) for m in app.mutation_log]
        return _Response(200, orjson.dumps(data))
    if method == "POST" and path == "/use":
        views = int(query.get("views", "1")) if query.get("views", "1").isdigit() else -1
        if not 0 <= views <= _MAX_VIEWS:
            return _Response(400, orjson.dumps({"message": f"views: 0 to {_MAX_VIEWS}"}))
        return _Response(200, orjson.dumps({"views": app.simulate_use(views)}))
    if method == "POST" and path == "/reset_stats":
        app.stats = MockStats()
        return _Response(204)
    return _not_found()
