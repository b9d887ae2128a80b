"""Use between runs, as a real Looker sees it: views and favorites move telemetry, not updated_at."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from lookervault.mock.world import _iso

if TYPE_CHECKING:
    from lookervault.mock.data import MockData

__all__ = ["USED_TYPES", "view_one"]

USED_TYPES = ("dashboards", "looks")
_FAVORITE_SHARE = 0.1  # one view in ten also favorites the content


def view_one(data: MockData, rng: random.Random) -> tuple[str, str] | None:
    """Someone opens a random dashboard or look; returns which (None: nothing to view).

    view_count goes up, last_viewed_at and last_accessed_at become now, sometimes
    favorite_count goes up; updated_at and every other field stay as they were.
    """
    content_type = rng.choice(USED_TYPES)
    objects = data.objects[content_type]
    if not objects:
        return None
    item_id = rng.choice(list(objects))
    obj = dict(objects[item_id])  # a new dict: the mock's encoded caches see the change
    now = _iso(data._tick())  # the mock's own clock
    obj["view_count"] = int(obj.get("view_count") or 0) + 1
    obj["last_viewed_at"] = now
    obj["last_accessed_at"] = now
    if rng.random() < _FAVORITE_SHARE:
        obj["favorite_count"] = int(obj.get("favorite_count") or 0) + 1
    objects[item_id] = obj
    return content_type, item_id
