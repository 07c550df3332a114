"""Bounded caches of volumes and encoded slices, shared by the request threads."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from segdicom.imaging.resample import PlanePlan

V = TypeVar("V")
# A parsed header holds 15-55 KB (measured on the synthetic and the Philips CT):
# 6,000 (one series at the 5,000-slice limit, plus some) stay under ~330 MB;
# 50,000 could have reached 2.6 GB. A miss only re-reads a header from disk.
MAX_HEADERS = 6_000
MAX_VOLUMES = 64  # volume headers are small; the slice bytes are what the budget bounds


class LRU(Generic[V]):
    """A thread-safe LRU map bounded by the summed `size` of its values."""

    def __init__(self, budget: int, size: Callable[[V], int]) -> None:
        self.budget = budget
        self._size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        cost = self._size(value)
        if cost > self.budget:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._used -= self._size(old)
            self._items[key] = value
            self._used += cost
            while self._used > self.budget and self._items:
                _, evicted = self._items.popitem(last=False)
                self._used -= self._size(evicted)

    def discard(self, predicate: Callable[[Hashable], bool]) -> None:
        with self._lock:
            for key in [k for k in self._items if predicate(k)]:
                self._used -= self._size(self._items.pop(key))

    @property
    def used(self) -> int:
        return self._used


class VolumeCache:
    """Volumes by (series, state) and encoded slices, within one memory budget."""

    def __init__(self, budget: int) -> None:
        self.volumes: LRU[object] = LRU(MAX_VOLUMES, lambda v: 1)
        self.slices: LRU[bytes] = LRU(budget, len)
        # Resampling plans of irregular series (per axis) with their background value:
        # a few MB each, built from the geometry once per series state.
        self.plans: LRU[tuple[PlanePlan, float]] = LRU(budget // 4, lambda p: p[0].nbytes)
        # Headers of stored files, so a series that grows (a pull in progress)
        # is re-laid out without re-reading the files it already had.
        self.headers: LRU[object] = LRU(MAX_HEADERS, lambda v: 1)
        # series -> (state token, monotonic time checked): scrolling does not
        # ask the database about the series state on every slice.
        self.checked: dict[str, tuple[object, float]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @staticmethod
    def header_key(path: str, received_at: object) -> tuple[str, str]:
        """Headers are kept per stored file and arrival: a file sent again is read again."""
        return (path, str(received_at))

    def remember_header(self, path: str, received_at: object, header: object) -> None:
        """The header of a file just stored, as the store read it on the way in."""
        self.headers.put(self.header_key(path, received_at), header)

    def forget(self, series_uid: str) -> None:
        """A series changed (an instance was stored): recheck its state on the next request."""
        self.checked.pop(series_uid, None)

    def lock_for(self, series_uid: str) -> threading.Lock:
        """One builder per series at a time: concurrent first requests wait, not repeat."""
        with self._guard:
            return self._locks.setdefault(series_uid, threading.Lock())
