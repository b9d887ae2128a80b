"""Resume state as one typed value, so checkpoint and failure keys are written and read in one place.

A run commits a checkpoint with every batch and records a failure under the same kind of key. The
keys are text in the vault, and vaults written by earlier releases must keep resuming, so the text
is fixed:

    "{variant}:offset={n}"   a page of a paged list committed
    "{variant}:end={n}"      the page at offset n was short: the variant ends there
    "{variant}:all"          the one page of an unpaged list committed
    "item:{id}"              one item fetched by id (its failure key too)
    "child:{a::b}"           one child request, its key parts joined by "::"
    "reconcile"              the type's reconciliation found nothing missing

`variant` is "all" or the variant's parameters such as "deleted=false" (`variant_key`). Text that
fits none of these decodes as UNKNOWN, kept as is, so a garbled key never stops a resume.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Checkpoint", "CheckpointKind", "variant_key"]

_ITEM = "item:"
_CHILD = "child:"
_CHILD_SEPARATOR = "::"
_RECONCILE = "reconcile"
_WHOLE = "all"
_OFFSET = "offset"
_END = "end"
_NUMBER = re.compile(r"0|[1-9][0-9]*")  # what str(int) writes for offsets, nothing else


class CheckpointKind(enum.Enum):
    """What a checkpoint (or failure) key stands for."""

    PAGE = "page"
    END = "end"
    ALL = "all"
    ITEM = "item"
    CHILD = "child"
    RECONCILE = "reconcile"
    UNKNOWN = "unknown"


def variant_key(params: Mapping[str, str]) -> str:
    """The text naming one list variant in keys: "all", or its parameters ("deleted=false")."""
    return "&".join(f"{k}={v}" for k, v in params.items()) or _WHOLE


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One resume key: a page, a variant's end, an unpaged list, an item, a child or reconciliation.

    Each kind uses its own fields: `variant` and `offset` (PAGE, END), `variant` (ALL), `item_id`
    (ITEM), `child_key` (CHILD, the parts joined by "::"), `raw` (UNKNOWN: the key as found).
    """

    kind: CheckpointKind
    variant: str = ""
    offset: int = 0
    item_id: str = ""
    child_key: str = ""
    raw: str = ""

    @classmethod
    def page(cls, variant: str, offset: int) -> Checkpoint:
        """The page of `variant` at `offset`."""
        return cls(CheckpointKind.PAGE, variant=variant, offset=offset)

    @classmethod
    def end(cls, variant: str, offset: int) -> Checkpoint:
        """`variant` ends with the short page at `offset`."""
        return cls(CheckpointKind.END, variant=variant, offset=offset)

    @classmethod
    def whole(cls, variant: str) -> Checkpoint:
        """The single page of an unpaged list's `variant`."""
        return cls(CheckpointKind.ALL, variant=variant)

    @classmethod
    def item(cls, item_id: str) -> Checkpoint:
        """One item fetched by its id."""
        return cls(CheckpointKind.ITEM, item_id=item_id)

    @classmethod
    def child(cls, parts: Sequence[str]) -> Checkpoint:
        """One child request, named by the parts of its key."""
        return cls(CheckpointKind.CHILD, child_key=_CHILD_SEPARATOR.join(parts))

    @classmethod
    def reconcile(cls) -> Checkpoint:
        """A type's reconciliation, done."""
        return cls(CheckpointKind.RECONCILE)

    def encode(self) -> str:
        """The key as stored in the vault, byte for byte what earlier releases wrote."""
        match self.kind:
            case CheckpointKind.PAGE:
                return f"{self.variant}:{_OFFSET}={self.offset}"
            case CheckpointKind.END:
                return f"{self.variant}:{_END}={self.offset}"
            case CheckpointKind.ALL:
                return f"{self.variant}:{_WHOLE}"
            case CheckpointKind.ITEM:
                return f"{_ITEM}{self.item_id}"
            case CheckpointKind.CHILD:
                return f"{_CHILD}{self.child_key}"
            case CheckpointKind.RECONCILE:
                return _RECONCILE
            case _:
                return self.raw

    @classmethod
    def decode(cls, key: str) -> Checkpoint:
        """The checkpoint a stored key stands for; UNKNOWN (kept as is) when it fits no kind."""
        if key == _RECONCILE:
            return cls.reconcile()
        if key.startswith(_ITEM):
            return cls.item(key[len(_ITEM) :])
        if key.startswith(_CHILD):
            return cls(CheckpointKind.CHILD, child_key=key[len(_CHILD) :])
        return _decode_variant_key(key) or cls(CheckpointKind.UNKNOWN, raw=key)

    @classmethod
    def decode_all(cls, keys: Iterable[str]) -> frozenset[Checkpoint]:
        """Every key decoded, as a set to look checkpoints up in."""
        return frozenset(cls.decode(key) for key in keys)


def _decode_variant_key(key: str) -> Checkpoint | None:
    """A PAGE, END or ALL key ("{variant}:offset=n" and so on), else None."""
    variant, colon, tail = key.rpartition(":")
    if not colon:
        return None
    if tail == _WHOLE:
        return Checkpoint.whole(variant)
    what, _, number = tail.partition("=")
    if not _NUMBER.fullmatch(number):
        return None
    if what == _OFFSET:
        return Checkpoint.page(variant, int(number))
    if what == _END:
        return Checkpoint.end(variant, int(number))
    return None
