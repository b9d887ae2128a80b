"""Page sizes that adapt to a slow Looker: halve on a timeout or 504, double back after successes.

A page of 100 full dashboards is about 1.5 MB and slow for a real Looker to build; public clients
raised their timeouts for `dashboards/search`. Each list type starts at its registry page size. A
page keeps its offset and length (so checkpoints and resume are unchanged) but is fetched in
chunks of the type's current size: a chunk that times out or answers 504 is asked again at half
the size, down to one item; after a few successes in a row the size doubles, never past the page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from lookervault.config import MIN_ADAPTIVE_PAGE_SIZE, PAGE_GROWTH_AFTER
from lookervault.errors import ApiError, PagingError
from lookervault.looker.client import LookerClient
from lookervault.looker.deadline import SPLITTABLE, is_slow
from lookervault.looker.retry import IDEMPOTENT

__all__ = ["PageSizer", "fetch_sized_page"]

logger = logging.getLogger(__name__)


class PageSizer:
    """The current request size of one list type, shared by its page workers."""

    def __init__(
        self,
        largest: int,
        *,
        smallest: int = MIN_ADAPTIVE_PAGE_SIZE,
        growth_after: int = PAGE_GROWTH_AFTER,
    ) -> None:
        self.largest = largest
        self.smallest = min(smallest, largest)
        self.size = largest
        self._growth_after = growth_after
        self._streak = 0
        self.shrinks = 0  # how often a slow answer halved the size

    def shrink(self) -> None:
        """A request of the current size was too slow: halve it (not below `smallest`)."""
        self.size = max(self.smallest, self.size // 2)
        self._streak = 0
        self.shrinks += 1

    def succeeded(self) -> None:
        """A request succeeded; after `growth_after` in a row the size doubles back."""
        self._streak += 1
        if self._streak >= self._growth_after and self.size < self.largest:
            self.size = min(self.largest, self.size * 2)
            self._streak = 0


async def fetch_sized_page(
    client: LookerClient, path: str, params: Mapping[str, Any], sizer: PageSizer
) -> list[bytes]:
    """The items of the page `params` asks for (`limit` at `offset`), in chunks the sizer allows.

    Raises:
        ApiError: a chunk failed for another reason, or was too slow even at the smallest size.
        PagingError: a chunk longer than the limit asked (the server ignores `limit`).
    """
    offset, end = int(params["offset"]), int(params["offset"]) + int(params["limit"])
    items: list[bytes] = []
    while offset < end:
        size = min(sizer.size, end - offset)
        can_split = size > sizer.smallest
        try:
            answer = await client.get_page(
                path,
                {**params, "limit": size, "offset": offset},
                retry=SPLITTABLE if can_split else IDEMPOTENT,
            )
        except ApiError as exc:
            if not (can_split and is_slow(exc)):
                raise
            logger.info("slow page of %d from %s: asking for %d", size, path, size // 2)
            sizer.shrink()
            continue
        chunk = answer.items
        if len(chunk) > size:
            raise PagingError(
                f"GET {path} answered {len(chunk)} items to limit={size}: "
                "the server ignores limit, so its pages cannot be trusted"
            )
        sizer.succeeded()
        items.extend(chunk)
        offset += size
        if len(chunk) < size:
            break
    return items
