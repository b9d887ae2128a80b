"""How many objects of each content type a generated instance holds: presets and their floors."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CONTENT_TYPES", "PRESETS"]

CONTENT_TYPES: tuple[str, ...] = (
    "dashboards",
    "looks",
    "folders",
    "boards",
    "users",
    "groups",
    "roles",
    "permission_sets",
    "model_sets",
    "scheduled_plans",
    "lookml_models",
    "explores",
    "alerts",
    "user_attributes",
    "themes",
)

# Objects per type in each preset: (tiny, demo, M). "explores" is per model (it varies by +-3).
_PRESET_COUNTS = {
    "dashboards": (12, 300, 20_000),
    "looks": (12, 300, 20_000),
    "folders": (8, 40, 1_000),
    "boards": (3, 10, 200),
    "users": (6, 100, 5_000),
    "groups": (3, 15, 300),
    "roles": (3, 8, 50),
    "permission_sets": (3, 6, 40),
    "model_sets": (3, 6, 40),
    "scheduled_plans": (5, 50, 2_000),
    "lookml_models": (2, 5, 20),
    "explores": (3, 6, 8),
    "alerts": (4, 30, 1_000),
    "user_attributes": (3, 10, 60),
    "themes": (2, 4, 20),
}
PRESETS: dict[str, dict[str, int]] = {
    preset: {name: counts[index] for name, counts in _PRESET_COUNTS.items()}
    for index, preset in enumerate(("tiny", "demo", "M"))
}

# Smallest counts that keep the object graph consistent: the API user, the two root folders,
# and one model with one explore so every query has somewhere to point.
_MINIMUM_COUNTS = {"users": 1, "folders": 2, "lookml_models": 1, "explores": 1}


def _resolve_counts(counts: Mapping[str, int] | None, preset: str) -> dict[str, int]:
    resolved = {**PRESETS[preset], **(counts or {})}
    unknown = set(resolved) - set(CONTENT_TYPES)
    if unknown:
        raise ValueError(f"unknown content types: {sorted(unknown)}")
    return {
        name: max(resolved.get(name, 0), _MINIMUM_COUNTS.get(name, 0)) for name in CONTENT_TYPES
    }
