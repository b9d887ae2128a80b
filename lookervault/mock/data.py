"""The Looker instance the mock serves: generate() builds it from a seed, MockData changes it."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from lookervault.mock.content import (
    _build_alert,
    _build_board,
    _build_dashboard,
    _build_look,
    _build_scheduled_plan,
)
from lookervault.mock.lookml import (
    _build_explore,
    _build_lookml_model,
    _generate_lookml,
    _nav_explore,
)
from lookervault.mock.people import (
    _access_list,
    _build_folder,
    _build_group,
    _build_model_set,
    _build_permission_set,
    _build_role,
    _build_theme,
    _build_user,
    _build_user_attribute,
    _count_children,
    _count_group_members,
)
from lookervault.mock.presets import CONTENT_TYPES, PRESETS, _resolve_counts
from lookervault.mock.world import _CLOCK_START, ME_ID, JsonObject, _iso, _rng, _title, _World

__all__ = ["PRESETS", "MockData", "canonical_hash", "generate"]

_CLOCK_STEP = 60
_PERSONAL_FOLDER_SHARE = 3  # one folder in this many is a user's personal folder


def canonical_hash(obj: Any) -> str:
    """Hash an object's canonical JSON (sorted keys) so a backup can be compared item by item."""
    return hashlib.sha256(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).hexdigest()


_Builder = Callable[[random.Random, int, _World], JsonObject]
_BUILDERS: dict[str, _Builder] = {
    "permission_sets": _build_permission_set,
    "model_sets": _build_model_set,
    "roles": _build_role,
    "groups": _build_group,
    "user_attributes": _build_user_attribute,
    "themes": _build_theme,
    "users": _build_user,
    "folders": _build_folder,
    "looks": _build_look,
    "dashboards": _build_dashboard,
    "boards": _build_board,
    "scheduled_plans": _build_scheduled_plan,
    "alerts": _build_alert,
}
# Generation order: each type only references types generated before it.
_GENERATION_ORDER = tuple(_BUILDERS)
_RENAMED_FIELD = {
    "dashboards": "title",
    "looks": "title",
    "boards": "title",
    "users": "first_name",
    "lookml_models": "label",
    "explores": "label",
    "alerts": "custom_title",
    "user_attributes": "label",
}
_LOOK_ONLY_FIELDS = frozenset({"query", "url"})  # LookWithQuery minus these is Look


@dataclass
class MockData:
    """A generated Looker instance: every object as its get-by-id endpoint returns it."""

    seed: int
    objects: dict[str, dict[str, dict[str, Any]]]
    content_metadata_access: dict[str, list[dict[str, Any]]]
    me_id: str
    _queries: list[JsonObject] = field(default_factory=list, repr=False)
    _personal_count: int = field(default=0, repr=False)
    _next_ids: dict[str, int] = field(default_factory=dict, repr=False)
    _clock: int = field(default=_CLOCK_START, repr=False)

    def list_item(self, content_type: str, obj: dict) -> dict:
        """The shape the list/search endpoint returns for obj (its list schema)."""
        if content_type == "looks":
            return {key: value for key, value in obj.items() if key not in _LOOK_ONLY_FIELDS}
        return obj

    def create(self, content_type: str) -> dict:
        """Add a new object with the next id (deterministic from the seed) and return it."""
        number = self._next_ids.get(content_type, 1)
        self._next_ids[content_type] = number + 1
        rng = _rng(self.seed, content_type, "create", number)
        if content_type in ("lookml_models", "explores"):
            return self._create_lookml(content_type, number, rng)
        world = _World.of(self.objects, self._queries, self._personal_count)
        obj = _BUILDERS[content_type](rng, number, world)
        self._stamp_new(obj)
        self.objects[content_type][obj["id"]] = obj
        self._after_create(content_type, obj, rng, world)
        return obj

    def update(self, content_type: str, item_id: str) -> dict:
        """Rename an object and move its updated_at forward; returns the new object."""
        obj = dict(self.objects[content_type][item_id])  # embeds elsewhere keep the old copy
        stamp = self._tick()
        rng = _rng(self.seed, content_type, "update", item_id, stamp)
        key = _RENAMED_FIELD.get(content_type, "name")
        obj[key] = (
            f"{_title(rng)} v{stamp - _CLOCK_START}"
            if key != "name"
            else f"{obj[key]}_v{stamp - _CLOCK_START}"
        )
        if content_type == "users":
            obj["display_name"] = f"{obj['first_name']} {obj['last_name']}"
        if "updated_at" in obj:
            obj["updated_at"] = _iso(stamp)
        self.objects[content_type][item_id] = obj
        return obj

    def delete(self, content_type: str, item_id: str) -> None:
        """Hard-delete an object, with its access list and (for models) its explores."""
        obj = self.objects[content_type].pop(item_id)
        if content_type in ("folders", "boards"):
            self.content_metadata_access.pop(obj["content_metadata_id"], None)
        if content_type == "folders" and obj["parent_id"] in self.objects["folders"]:
            self._adjust_child_count(obj["parent_id"], -1)
        if content_type == "lookml_models":
            for explore_id in [e for e in self.objects["explores"] if e.startswith(f"{item_id}::")]:
                del self.objects["explores"][explore_id]
        if content_type == "explores":
            self._unlist_explore(obj)

    def _tick(self) -> int:
        self._clock += _CLOCK_STEP
        return self._clock

    def _stamp_new(self, obj: JsonObject) -> None:
        stamp = self._tick()
        for key in ("created_at", "updated_at"):
            if key in obj:
                obj[key] = _iso(stamp)
        if obj.get("deleted"):
            obj.update(deleted=False, deleted_at=None, deleter_id=None)

    def _after_create(
        self, content_type: str, obj: JsonObject, rng: random.Random, world: _World
    ) -> None:
        if content_type == "folders" and obj["parent_id"] in self.objects["folders"]:
            self._adjust_child_count(obj["parent_id"], 1)
        if content_type in ("folders", "boards"):
            owner = obj.get("creator_id") or obj.get("user_id")
            cmd = obj["content_metadata_id"]
            self.content_metadata_access[cmd] = _access_list(rng, cmd, owner, world)

    def _adjust_child_count(self, folder_id: str, delta: int) -> None:
        parent = dict(self.objects["folders"][folder_id])
        parent["child_count"] += delta
        self.objects["folders"][folder_id] = parent

    def _create_lookml(self, content_type: str, number: int, rng: random.Random) -> JsonObject:
        if content_type == "lookml_models":
            name = f"created_model_{number}"
            model = _build_lookml_model(name, "project_created", [])
            self.objects["lookml_models"][name] = model
            return model
        model = dict(self.objects["lookml_models"][next(reversed(self.objects["lookml_models"]))])
        explore = _build_explore(
            rng, model["name"], f"created_explore_{number}", model["project_name"]
        )
        self.objects["explores"][explore["id"]] = explore
        model.update(explores=[*model["explores"], _nav_explore(explore)], has_content=True)
        self.objects["lookml_models"][model["name"]] = model
        return explore

    def _unlist_explore(self, explore: JsonObject) -> None:
        model = self.objects["lookml_models"].get(explore["model_name"])
        if model is not None:
            kept = [nav for nav in model["explores"] if nav["name"] != explore["name"]]
            self.objects["lookml_models"][model["name"]] = {**model, "explores": kept}


def _personal_folder_count(counts: Mapping[str, int]) -> int:
    return min(counts["users"], max(1, (counts["folders"] - 2) // _PERSONAL_FOLDER_SHARE))


def _generate_access(seed: int, world: _World) -> dict[str, list[JsonObject]]:
    rng = _rng(seed, "content_metadata_access")
    access: dict[str, list[JsonObject]] = {}
    for kind, owner_key in (("folders", "creator_id"), ("boards", "user_id")):
        for obj in world.objects[kind].values():
            cmd = obj["content_metadata_id"]
            access[cmd] = _access_list(rng, cmd, obj[owner_key], world)
    return access


def generate(
    seed: int = 0, counts: Mapping[str, int] | None = None, *, preset: str = "tiny"
) -> MockData:
    """Generate a Looker instance; the same seed and counts give byte-identical objects.

    Args:
        seed: Drives every random choice; each content type draws from its own sub-seed.
        counts: Objects per content type, overriding the preset's ("explores" is per model).
        preset: One of PRESETS, the base counts.
    """
    resolved = _resolve_counts(counts, preset)
    lookml = _generate_lookml(seed, resolved["lookml_models"], resolved["explores"])
    objects: dict[str, dict[str, JsonObject]] = {name: {} for name in CONTENT_TYPES}
    objects.update(lookml_models=lookml.models, explores=lookml.explores)
    personal = _personal_folder_count(resolved)
    for content_type in _GENERATION_ORDER:
        world = _World.of(objects, lookml.queries, personal)
        rng, build = _rng(seed, content_type), _BUILDERS[content_type]
        for number in range(1, resolved[content_type] + 1):
            obj = build(rng, number, world)
            objects[content_type][obj["id"]] = obj
            if content_type == "folders":  # parents must be visible to later folders
                world.ids["folders"].append(obj["id"])
    _count_children(objects["folders"])
    _count_group_members(objects["groups"], objects["users"])
    world = _World.of(objects, lookml.queries, personal)
    next_ids = {name: resolved[name] + 1 for name in CONTENT_TYPES}
    next_ids["explores"] = len(lookml.explores) + 1
    return MockData(
        seed=seed,
        objects=objects,
        content_metadata_access=_generate_access(seed, world),
        me_id=ME_ID,
        _queries=lookml.queries,
        _personal_count=personal,
        _next_ids=next_ids,
    )
