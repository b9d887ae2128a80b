"""What every mock write shares: Looker's 422 body, server-assigned ids and stamps, copy-on-write."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from lookervault.looker.writable import REQUIRED, SENT_THOUGH_READ_ONLY, WRITABLE
from lookervault.mock.responses import DOCUMENTATION_URL, _error, _Response

if TYPE_CHECKING:
    from lookervault.mock.data import MockData

__all__: list[str] = []

# Ids the server gives children (elements, filters, layout components, sections, items): far
# above any generated one, so a new child never collides with a generated child.
_CHILD_ID_BASE = 900_000_000


class WriteRefusedError(Exception):
    """A write Looker would refuse: carries the answer to send."""

    def __init__(self, response: _Response) -> None:
        super().__init__(response.status)
        self.response = response


def refuse(status: int, message: str) -> WriteRefusedError:
    """A refusal with Looker's plain error body."""
    return WriteRefusedError(_error(status, message))


def validation_failed(field: str, code: str, message: str) -> WriteRefusedError:
    """A 422 with Looker's validation error body (message, errors[], documentation_url)."""
    error = {
        "field": field,
        "code": code,
        "message": message,
        "documentation_url": DOCUMENTATION_URL,
    }
    body = {
        "message": "Validation Failed",
        "errors": [error],
        "documentation_url": DOCUMENTATION_URL,
    }
    return WriteRefusedError(_Response(422, orjson.dumps(body)))


def require(kind: str, body: Mapping[str, Any]) -> None:
    """422 when a field the create of ``kind`` needs is missing or null."""
    for name in REQUIRED.get(kind, ()):
        if body.get(name) in (None, ""):
            raise validation_failed(name, "missing_field", "This field is required.")


def accepted(kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The writable fields of the body: read-only ones are ignored, as Looker does."""
    names = (*WRITABLE[kind], *SENT_THOUGH_READ_ONLY.get(kind, ()))
    return {name: body[name] for name in names if name in body}


def must_exist(objects: Mapping[str, Any], ref: Any, field: str) -> None:
    """422 when a referenced object does not exist."""
    if ref is None or str(ref) not in objects:
        raise validation_failed(field, "invalid", f"{field} {ref!r} does not exist")


def title_taken(
    objects: Iterable[Mapping[str, Any]], folder_id: Any, title: Any, *, but: str | None = None
) -> bool:
    """Whether a live object in the folder already has this title (Looker's per-folder rule)."""
    return any(
        o.get("folder_id") == folder_id
        and o.get("title") == title
        and not o.get("deleted")
        and o.get("id") != but
        for o in objects
    )


class IdSource:
    """Server-assigned ids: the next number above the largest of a type, or for children a counter."""

    def __init__(self) -> None:
        self._child = _CHILD_ID_BASE

    def next_child(self) -> str:
        self._child += 1
        return str(self._child)

    @staticmethod
    def next_of(objects: Mapping[str, Any]) -> str:
        """One above the largest id (for queries, which are never deleted)."""
        numbers = [int(key) for key in objects if key.isdigit()]
        return str(max(numbers, default=0) + 1)

    @staticmethod
    def next_id(data: MockData, kind: str) -> str:
        """The type's next id from the instance's sequence: ids of deleted objects never return."""
        numbers = [int(key) for key in data.objects[kind] if key.isdigit()]
        number = max(data._next_ids.get(kind, 1), max(numbers, default=0) + 1)
        data._next_ids[kind] = number + 1
        return str(number)


def answer(obj: Any, status: int = 200) -> _Response:
    """A JSON answer."""
    return _Response(status, orjson.dumps(obj))
