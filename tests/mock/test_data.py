"""Tests for the mock Looker's deterministic data generator."""

from __future__ import annotations

import functools
import itertools
import statistics
import unicodedata
from datetime import datetime
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator, FormatChecker

from lookervault.mock.data import MockData, canonical_hash, generate
from lookervault.mock.presets import CONTENT_TYPES, PRESETS
from tests.conftest import SPEC_PATH

SCHEMA_OF = {
    "dashboards": "Dashboard",
    "looks": "LookWithQuery",
    "folders": "Folder",
    "boards": "Board",
    "users": "User",
    "groups": "Group",
    "roles": "Role",
    "permission_sets": "PermissionSet",
    "model_sets": "ModelSet",
    "scheduled_plans": "ScheduledPlan",
    "lookml_models": "LookmlModel",
    "explores": "LookmlModelExplore",
    "alerts": "Alert",
    "user_attributes": "UserAttribute",
    "themes": "Theme",
}
SAMPLE_PER_TYPE = 50
SIZE_SAMPLE_DASHBOARDS = 1_000
KB = 1_000


def _translate(node: Any) -> Any:
    """Turn an OpenAPI 3.0 schema node into JSON Schema (2020-12)."""
    if isinstance(node, list):
        return [_translate(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-") or key == "nullable":
            continue
        if key == "properties":  # property names are data, not keywords: keep them all
            out[key] = {name: _translate_property(prop) for name, prop in value.items()}
        elif key == "additionalProperties" and value is False:
            continue  # the mock may add fields; Looker does too between releases
        else:
            out[key] = _translate(value)
    if out.get("type") == "any":
        del out["type"]
    if out.get("type") == "array" and "enum" in out:  # Looker puts an items enum on the array
        out["items"] = {**out["items"], "enum": out.pop("enum")}
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def _translate_property(prop: dict[str, Any]) -> Any:
    # OpenAPI 3.0 ignores siblings of $ref, so Looker's spec cannot mark a nested object nullable,
    # yet the API returns null for absent ones (User.credentials_email, ...).
    if set(prop) == {"$ref"}:
        return {"anyOf": [_translate(prop), {"type": "null"}]}
    return _translate(prop)


@functools.cache
def _components() -> dict[str, Any]:
    spec = orjson.loads(SPEC_PATH.read_bytes())
    return {"schemas": _translate(spec["components"]["schemas"])}


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # the type keyword reports non-strings
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return "T" in value and parsed.tzinfo is not None


@functools.cache
def _validator(schema_name: str) -> Draft202012Validator:
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_is_date_time)
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": _components()}
    return Draft202012Validator(schema, format_checker=checker)


def _errors(schema_name: str, obj: dict[str, Any]) -> list[str]:
    found = _validator(schema_name).iter_errors(obj)
    return [f"{list(err.absolute_path)}: {err.message[:200]}" for err in itertools.islice(found, 5)]


@pytest.fixture(scope="module")
def tiny() -> MockData:
    """The tiny preset, seed 0."""
    return generate(0)


@pytest.fixture(scope="module")
def demo() -> MockData:
    """A mid-size generation with enough dashboards to measure their size distribution."""
    return generate(7, {"dashboards": SIZE_SAMPLE_DASHBOARDS}, preset="demo")


def _sample(data: MockData, content_type: str, count: int) -> list[dict[str, Any]]:
    items = list(data.objects[content_type].values())
    step = max(1, len(items) // count)
    return items[::step][:count]


def _all_hashes(data: MockData) -> dict[tuple[str, str], str]:
    hashes = {
        (kind, key): canonical_hash(obj)
        for kind in CONTENT_TYPES
        for key, obj in data.objects[kind].items()
    }
    hashes.update(
        {
            ("access", cmd): canonical_hash(entries)
            for cmd, entries in data.content_metadata_access.items()
        }
    )
    return hashes


def test_same_seed_gives_identical_objects(tiny: MockData) -> None:
    """Generating twice with the same seed and counts yields byte-identical objects."""
    assert _all_hashes(generate(0)) == _all_hashes(tiny)


def test_different_seed_gives_different_objects(tiny: MockData) -> None:
    """Another seed changes the content (same numeric ids, different payloads)."""
    other, mine = _all_hashes(generate(1)), _all_hashes(tiny)
    shared = [key for key in mine if key in other]
    assert len(shared) > len(mine) // 2  # explores per model vary with the seed, the rest not
    assert sum(other[key] != mine[key] for key in shared) > len(shared) // 2


def test_changing_one_count_leaves_independent_types_alone(tiny: MockData) -> None:
    """Per-type sub-seeds: more themes or alerts does not reshuffle users or dashboards."""
    changed = generate(0, {"themes": 9, "alerts": 20})
    for kind in ("users", "dashboards", "looks", "folders", "groups"):
        assert [canonical_hash(o) for o in changed.objects[kind].values()] == [
            canonical_hash(o) for o in tiny.objects[kind].values()
        ]
    assert len(changed.objects["themes"]) == 9


def test_counts_follow_the_preset(tiny: MockData) -> None:
    """Each type gets its preset count; explores are counted per model."""
    for kind, count in PRESETS["tiny"].items():
        if kind != "explores":
            assert len(tiny.objects[kind]) == count, kind
    assert all(model["explores"] for model in tiny.objects["lookml_models"].values())


def test_unknown_content_type_is_rejected() -> None:
    """A typo in counts fails loudly instead of being ignored."""
    with pytest.raises(ValueError, match="dashbords"):
        generate(0, {"dashbords": 3})


def test_ids_are_strings_in_ascending_numeric_order(demo: MockData) -> None:
    """Numeric-id types are keyed by their string id, in ascending numeric order."""
    for kind in CONTENT_TYPES:
        if kind in ("lookml_models", "explores"):
            continue
        keys = list(demo.objects[kind])
        assert keys == sorted(keys, key=int), kind
        assert all(obj["id"] == key for key, obj in demo.objects[kind].items())


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_objects_validate_against_their_schema(
    content_type: str, tiny: MockData, demo: MockData
) -> None:
    """All tiny objects and a sample of a mid-size generation match the spec's get schema."""
    sample = list(tiny.objects[content_type].values()) + _sample(
        demo, content_type, SAMPLE_PER_TYPE
    )
    assert sample
    for obj in sample:
        assert _errors(SCHEMA_OF[content_type], obj) == [], (content_type, obj.get("id"))


def test_look_list_item_validates_against_look(tiny: MockData) -> None:
    """The list shape of a look is the plain Look schema: no embedded query."""
    for look in tiny.objects["looks"].values():
        item = tiny.list_item("looks", look)
        assert "query" not in item
        assert item["query_id"] == look["query"]["id"]
        assert _errors("Look", item) == []


def test_list_item_is_unchanged_for_other_types(tiny: MockData) -> None:
    """Types whose list schema equals their get schema list the object itself."""
    for kind in CONTENT_TYPES:
        if kind != "looks":
            obj = next(iter(tiny.objects[kind].values()))
            assert tiny.list_item(kind, obj) is obj


def test_access_lists_validate(demo: MockData) -> None:
    """Every ContentMetaGroupUser entry matches its schema."""
    entries = [entry for entries in demo.content_metadata_access.values() for entry in entries]
    assert entries
    for entry in entries:
        assert _errors("ContentMetaGroupUser", entry) == []


def test_explores_are_keyed_by_model_and_name(demo: MockData) -> None:
    """Explore keys are '<model>::<explore>' and each model lists exactly its explores."""
    for key, explore in demo.objects["explores"].items():
        assert key == explore["id"] == f"{explore['model_name']}::{explore['name']}"
        assert explore["fields"]["dimensions"] and explore["fields"]["measures"]
    for name, model in demo.objects["lookml_models"].items():
        listed = {f"{name}::{nav['name']}" for nav in model["explores"]}
        assert listed == {k for k in demo.objects["explores"] if k.startswith(f"{name}::")}


def _check_content_references(data: MockData) -> None:
    users, folders = data.objects["users"], data.objects["folders"]
    for kind in ("dashboards", "looks"):
        for obj in data.objects[kind].values():
            assert obj["folder_id"] in folders and obj["user_id"] in users
            assert obj["folder"]["id"] == obj["folder_id"]
    for dash in data.objects["dashboards"].values():
        for element in dash["dashboard_elements"]:
            assert element["query_id"] == element["query"]["id"]
            assert element["look_id"] is None or element["look_id"] in data.objects["looks"]
        components = dash["dashboard_layouts"][0]["dashboard_layout_components"]
        assert [c["dashboard_element_id"] for c in components] == [
            e["id"] for e in dash["dashboard_elements"]
        ]
    for board in data.objects["boards"].values():
        for item in (i for s in board["board_sections"] for i in s["board_items"]):
            assert (
                item["dashboard_id"] in data.objects["dashboards"]
                or item["look_id"] in data.objects["looks"]
            )


def _check_people_references(data: MockData) -> None:
    users, folders, groups = data.objects["users"], data.objects["folders"], data.objects["groups"]
    for folder in folders.values():
        assert folder["parent_id"] is None or folder["parent_id"] in folders
        assert folder["creator_id"] in users
    for user in users.values():
        assert (
            user["personal_folder_id"] is None or folders[user["personal_folder_id"]]["is_personal"]
        )
        assert (
            set(user["group_ids"]) <= groups.keys()
            and set(user["role_ids"]) <= data.objects["roles"].keys()
        )
    for plan in data.objects["scheduled_plans"].values():
        assert plan["user_id"] in users
        assert (
            plan["dashboard_id"] in data.objects["dashboards"]
            or plan["look_id"] in data.objects["looks"]
        )
    assert all(alert["owner_id"] in users for alert in data.objects["alerts"].values())


def test_references_point_at_existing_objects(tiny: MockData, demo: MockData) -> None:
    """Folders, users, groups, looks and dashboards referenced anywhere exist."""
    for data in (tiny, demo):
        _check_content_references(data)
        _check_people_references(data)


def test_every_folder_and_board_has_an_access_list(demo: MockData) -> None:
    """Access lists exist for every folder and board and reference real groups and users."""
    expected = {
        o["content_metadata_id"] for k in ("folders", "boards") for o in demo.objects[k].values()
    }
    assert demo.content_metadata_access.keys() == expected
    assert any(not entries for entries in demo.content_metadata_access.values())
    for cmd, entries in demo.content_metadata_access.items():
        for entry in entries:
            assert entry["content_metadata_id"] == cmd
            assert (
                entry["group_id"] in demo.objects["groups"]
                or entry["user_id"] in demo.objects["users"]
            )


def test_content_metadata_ids_are_unique(demo: MockData) -> None:
    """Folders, boards, dashboards and looks never share a content_metadata_id."""
    ids = [
        o["content_metadata_id"]
        for k in ("folders", "boards", "dashboards", "looks")
        for o in demo.objects[k].values()
    ]
    assert len(ids) == len(set(ids))


def test_folder_tree_has_roots_personal_folders_and_child_counts(demo: MockData) -> None:
    """A Shared root, a Users root with personal folders, and consistent child counts."""
    folders = demo.objects["folders"]
    assert folders["1"]["is_shared_root"] and folders["2"]["is_users_root"]
    assert any(f["is_personal"] for f in folders.values())
    assert any(f["parent_id"] not in (None, "1", "2") for f in folders.values())  # nested deeper
    for folder_id, folder in folders.items():
        assert folder["child_count"] == sum(f["parent_id"] == folder_id for f in folders.values())


def test_me_is_an_admin_owning_some_plans_and_alerts(demo: MockData) -> None:
    """me_id is an existing admin user who owns some scheduled plans and alerts."""
    me = demo.objects["users"][demo.me_id]
    role = demo.objects["roles"][me["role_ids"][0]]
    assert role["permission_set"]["all_access"]
    assert any(p["user_id"] == demo.me_id for p in demo.objects["scheduled_plans"].values())
    assert any(a["owner_id"] == demo.me_id for a in demo.objects["alerts"].values())


def test_dashboard_sizes_average_10_to_20_kb_with_a_long_tail(demo: MockData) -> None:
    """Dashboards average 10-20 KB of JSON and a few exceed 100 KB."""
    sizes = [len(orjson.dumps(d)) for d in demo.objects["dashboards"].values()]
    assert len(sizes) == SIZE_SAMPLE_DASHBOARDS
    assert 10 * KB <= statistics.mean(sizes) <= 20 * KB
    assert max(sizes) > 100 * KB


def _titles(data: MockData) -> list[str]:
    return [o["title"] for k in ("dashboards", "looks", "boards") for o in data.objects[k].values()]


def test_titles_exercise_unicode(demo: MockData) -> None:
    """Titles mix NFC and NFD accents, CJK, ZWJ emoji, RTL text, '/' and '..'."""
    titles = _titles(demo)
    assert any(not unicodedata.is_normalized("NFC", t) for t in titles)  # decomposed accents
    assert any(
        word in t for t in titles for word in ("Café", "Résumé", "Zürich", "naïve")
    )  # composed
    assert any("\u200d" in t for t in titles)
    assert any("売上" in t or "销售额" in t for t in titles)
    assert any("مبيعات" in t or "לוח" in t for t in titles)
    assert any("/" in t for t in titles) and any(".." in t for t in titles)
    assert sum(t.isascii() for t in titles) > len(titles) // 3  # plenty of plain ones too


def test_nulls_and_soft_deletes_are_present(demo: MockData) -> None:
    """Some descriptions are null, and about 5% of dashboards and looks are soft-deleted."""
    for kind in ("dashboards", "looks"):
        items = list(demo.objects[kind].values())
        assert any(o["description"] is None for o in items)
        deleted = [o for o in items if o["deleted"]]
        assert 0.01 * len(items) <= len(deleted) <= 0.1 * len(items)
        assert all(o["deleted_at"] and o["deleter_id"] for o in deleted)
        assert all(o["deleted_at"] is None for o in items if not o["deleted"])
    assert any(u["credentials_email"] is None for u in demo.objects["users"].values())


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_create_adds_a_valid_object_with_the_next_id(content_type: str) -> None:
    """create() appends a schema-valid object; a second create gets a later key."""
    data = generate(3)
    first, second = data.create(content_type), data.create(content_type)
    keys = list(data.objects[content_type])
    key_of = "name" if content_type == "lookml_models" else "id"
    assert keys[-2:] == [first[key_of], second[key_of]]
    if content_type not in ("lookml_models", "explores"):
        assert (
            int(first["id"]) > max(int(k) for k in keys[:-2])
            and int(second["id"]) == int(first["id"]) + 1
        )
    assert _errors(SCHEMA_OF[content_type], first) == []


def test_create_is_deterministic() -> None:
    """The same sequence of creates from the same seed gives identical objects."""
    made = [[canonical_hash(generate(5).create(kind)) for kind in CONTENT_TYPES] for _ in range(2)]
    assert made[0] == made[1]


def test_created_folder_gets_an_access_list_and_counts_as_child() -> None:
    """A new folder has an access list and bumps its parent's child_count."""
    data = generate(0)
    folder = data.create("folders")
    parent_before = generate(0).objects["folders"][folder["parent_id"]]["child_count"]
    assert folder["content_metadata_id"] in data.content_metadata_access
    assert data.objects["folders"][folder["parent_id"]]["child_count"] == parent_before + 1


@pytest.mark.parametrize("content_type", ["dashboards", "looks", "boards", "scheduled_plans"])
def test_update_changes_title_and_updated_at(content_type: str) -> None:
    """update() renames the object and moves updated_at forward, deterministically."""
    data = generate(0)
    key = next(iter(data.objects[content_type]))
    before = data.objects[content_type][key]
    after = data.update(content_type, key)
    name_key = "name" if content_type == "scheduled_plans" else "title"
    assert after[name_key] != before[name_key]
    assert after["updated_at"] > before["updated_at"]
    assert data.objects[content_type][key] is after
    assert canonical_hash(generate(0).update(content_type, key)) == canonical_hash(after)


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_update_changes_every_type(content_type: str) -> None:
    """Every type can be updated and stays schema-valid."""
    data = generate(0)
    key = next(iter(data.objects[content_type]))
    before = canonical_hash(data.objects[content_type][key])
    assert canonical_hash(data.update(content_type, key)) != before
    assert _errors(SCHEMA_OF[content_type], data.objects[content_type][key]) == []


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_delete_removes_the_object(content_type: str) -> None:
    """delete() removes the object, and create() never reuses its id."""
    data = generate(0)
    key = list(data.objects[content_type])[-1]
    data.delete(content_type, key)
    assert key not in data.objects[content_type]
    created = data.create(content_type)
    assert created.get("id") != key and created.get("name") != key


def test_delete_cleans_up_dependents() -> None:
    """Deleting a folder or board drops its access list; a model takes its explores along."""
    data = generate(0)
    folder = data.objects["folders"]["5"]
    data.delete("folders", "5")
    assert folder["content_metadata_id"] not in data.content_metadata_access
    board = data.objects["boards"]["1"]
    data.delete("boards", "1")
    assert board["content_metadata_id"] not in data.content_metadata_access
    model = next(iter(data.objects["lookml_models"]))
    data.delete("lookml_models", model)
    assert not any(key.startswith(f"{model}::") for key in data.objects["explores"])


def test_deleting_an_explore_unlists_it_from_its_model() -> None:
    """A deleted explore disappears from its model's explores list."""
    data = generate(0)
    key, explore = next(iter(data.objects["explores"].items()))
    data.delete("explores", key)
    names = [
        nav["name"] for nav in data.objects["lookml_models"][explore["model_name"]]["explores"]
    ]
    assert explore["name"] not in names


def test_canonical_hash_ignores_key_order() -> None:
    """Two dicts with the same content in a different key order hash the same."""
    assert canonical_hash({"a": 1, "b": [1, "é"]}) == canonical_hash({"b": [1, "é"], "a": 1})
    assert canonical_hash({"a": 1}) != canonical_hash({"a": 2})


def test_tiny_preset_has_trash(tiny: MockData) -> None:
    """Even the tiny preset holds a soft-deleted dashboard and look, for unit tests."""
    for kind in ("dashboards", "looks"):
        assert any(o["deleted"] for o in tiny.objects[kind].values()), kind
