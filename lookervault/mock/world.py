"""What every generator draws from: shared ids and clock, seeded streams, text pools, the world."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["ME_ID", "JsonObject"]

ME_ID = "1"
_SHARED_ROOT_ID = "1"
_WEB_ROOT = "https://mock.looker.example"
_BASE_EPOCH = 1_577_836_800  # 2020-01-01T00:00:00Z: generated history starts here
_HISTORY_SECONDS = 5 * 365 * 86_400
_CLOCK_START = _BASE_EPOCH + _HISTORY_SECONDS + 86_400  # mutations happen after all history
_UNICODE_TITLE_SHARE = 0.45
_NULL_DESCRIPTION_SHARE = 0.4
_TEXT_POOL_SIZE = 4_096
_CMD_KINDS = {"looks": 0, "folders": 1, "boards": 2, "dashboards": 3}  # cmd id = id * 4 + kind
_ACCESS_ID_STRIDE = 10
_CAN = {"show": True, "update": True, "destroy": True, "index": True, "show_for_pdf": True}
_WORDS = (
    "Sales", "Revenue", "Pipeline", "Marketing", "Churn", "Weekly", "Executive", "Overview",
    "KPIs", "Retention", "Funnel", "Inventory", "Support", "Finance", "Ops", "Growth", "Cohort",
    "Regional", "Daily", "Forecast", "Orders", "Customers", "Margin", "Trends", "Summary",
)  # fmt: skip
# Titles exercise every Unicode trap a backup must survive byte for byte.
_UNICODE_WORDS = (
    "Café", "Résumé", "Zürich", "São Paulo", "naïve",  # NFC (composed)
    "Cafe\u0301", "Re\u0301sume\u0301", "Zu\u0308rich", "Sa\u0303o Paulo",  # NFD (decomposed)
    "売上", "ダッシュボード", "销售额", "매출 보고서",  # CJK
    "📊", "🚀", "👩\u200d💻", "🏳️\u200d🌈", "👨\u200d👩\u200d👧",  # emoji, ZWJ sequences
    "مبيعات", "לוח מחוונים", "تقرير شهري",  # RTL
    "Q1/Q2", "..", "in/out", "../archive",  # path-like
)  # fmt: skip
_PALETTE = ("#1A73E8", "#12B5CB", "#E52592", "#E8710A", "#F9AB00", "#7CB342", "#9334E6")
_TIMEZONES = ("America/Los_Angeles", "Europe/Paris", "Asia/Tokyo", "UTC", None)
JsonObject = dict[str, Any]


def _rng(seed: int, *parts: object) -> random.Random:
    # str seeds are hashed with SHA-512 by random, so they are stable across runs and hosts.
    return random.Random(":".join([str(seed), *map(str, parts)]))


def _iso(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).isoformat(timespec="milliseconds")


def _below(rng: random.Random, bound: int) -> int:
    # random() is several times cheaper than randrange(), and its bias is irrelevant here.
    return int(rng.random() * bound)


def _moments(rng: random.Random) -> tuple[int, int]:
    """A creation time and a later update time, both inside the generated history."""
    created = _BASE_EPOCH + _below(rng, _HISTORY_SECONDS)
    return created, created + _below(rng, _BASE_EPOCH + _HISTORY_SECONDS - created + 1)


def _compose_title(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=2 + _below(rng, 3))
    if rng.random() < _UNICODE_TITLE_SHARE:
        words[_below(rng, len(words))] = _UNICODE_WORDS[_below(rng, len(_UNICODE_WORDS))]
    return " ".join(words)


def _compose_description(rng: random.Random) -> str:
    return f"{_compose_title(rng)}: {' '.join(rng.choices(_WORDS, k=4 + _below(rng, 13)))}."


# Titles and descriptions are drawn from fixed pools: composing each one is the hot spot of
# large generations, and a few thousand distinct strings are plenty of variety.
_POOL_RNG = random.Random("lookervault-mock-text-pool")
_TITLE_POOL = tuple(_compose_title(_POOL_RNG) for _ in range(_TEXT_POOL_SIZE))
_DESCRIPTION_POOL = tuple(_compose_description(_POOL_RNG) for _ in range(_TEXT_POOL_SIZE))


def _title(rng: random.Random) -> str:
    return _TITLE_POOL[_below(rng, _TEXT_POOL_SIZE)]


def _maybe(rng: random.Random, value: Any, share_null: float = _NULL_DESCRIPTION_SHARE) -> Any:
    return None if rng.random() < share_null else value


def _description(rng: random.Random) -> str | None:
    return _maybe(rng, _DESCRIPTION_POOL[_below(rng, _TEXT_POOL_SIZE)])


def _cmd_id(content_type: str, item_id: int) -> str:
    return str(item_id * len(_CMD_KINDS) + _CMD_KINDS[content_type])


@dataclass
class _World:
    """What builders may reference: the ids and objects that already exist."""

    objects: dict[str, dict[str, JsonObject]]
    queries: list[JsonObject]
    personal_count: int
    ids: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(
        cls, objects: dict[str, dict[str, JsonObject]], queries: list[JsonObject], personal: int
    ) -> _World:
        ids = {name: list(items) for name, items in objects.items()}
        return cls(objects=objects, queries=queries, personal_count=personal, ids=ids)

    def pick(self, rng: random.Random, content_type: str) -> str | None:
        choices = self.ids.get(content_type)
        return choices[_below(rng, len(choices))] if choices else None

    def folder_owner(self, folder_id: str, rng: random.Random) -> str:
        """Personal folders hold their owner's content; shared folders anyone's."""
        folder = self.objects["folders"].get(folder_id)
        creator = folder and folder.get("creator_id")
        if folder and folder["is_personal"] and creator in self.objects["users"]:
            return creator
        return self.pick(rng, "users") or ME_ID
