"""Where stored masks go on the current volume: pure placement, no database.

A mask is pinned to its source slice (SOP Instance UID, 1-based frame), since
slice indexes shift when instances arrive between slices; masks written before
pinning existed keep their stored index. `db.annotations` reads and writes the
rows; this module decides where each is shown and how stored indexes move.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SliceKey = tuple[str, int]  # a slice's source: SOP Instance UID, 1-based frame number


@dataclass(frozen=True)
class StoredMask:
    number: int  # segment number
    index: int  # slice_index as stored
    key: SliceKey | None  # None: written before masks were pinned to their source slice
    data: bytes = b""


def key_of(uid: str | None, frame: int | None) -> SliceKey | None:
    return None if uid is None else (uid, frame or 1)


def place(
    rows: Iterable[StoredMask], slices: Sequence[SliceKey]
) -> dict[tuple[int, int], StoredMask]:
    """(segment, current slice index) -> the row shown there.

    A pinned row goes where its source slice is now, and nowhere when that instance
    is gone; an unpinned row keeps its stored index, unless a pinned row takes it.
    """
    where = {key: i for i, key in enumerate(slices)}
    placed: dict[tuple[int, int], StoredMask] = {}
    for row in sorted(rows, key=lambda r: r.key is not None):  # pinned rows last: they win
        if row.key is not None:
            index = where.get(row.key)
        else:
            index = row.index if 0 <= row.index < len(slices) else None
        if index is not None:
            placed[(row.number, index)] = row
    return placed


@dataclass(frozen=True)
class Renumbering:
    """How one segment's stored rows change to match the current volume.

    `shadowed`: unpinned rows a pinned row hides (dropped); `unpinned`: stored index ->
    the source slice to pin it to; `moves`: stored index -> current index (negative
    when its instance is gone); `free`: an index below every stored and moved one.
    """

    shadowed: list[int]
    unpinned: dict[int, SliceKey]
    moves: dict[int, int]
    free: int


def renumbering(rows: Sequence[StoredMask], slices: Sequence[SliceKey]) -> Renumbering:
    """The changes that leave the primary key (segment, slice_index) of a write at a
    current index free or its own: pinned rows move to their slice's index, unpinned
    ones are pinned where they are shown, shadowed ones are dropped."""
    placed = {row.index: index for (_, index), row in place(rows, slices).items()}
    gone = [r.index for r in rows if r.key is not None and r.index >= 0 and r.index not in placed]
    lowest = min([0, *(r.index for r in rows)])
    moves = {old: new for old, new in placed.items() if old != new}
    moves |= {old: lowest - 1 - n for n, old in enumerate(gone)}
    unpinned = {r.index: slices[r.index] for r in rows if r.key is None and r.index in placed}
    shadowed = [
        r.index for r in rows if r.key is None and r.index not in placed and r.index < len(slices)
    ]
    return Renumbering(shadowed, unpinned, moves, lowest - 1 - len(gone))


def parked_moves(moves: dict[int, int], free: int) -> tuple[dict[int, int], dict[int, int]]:
    """`moves` as two steps through indexes below `free`, which no row holds: a primary
    key is checked row by row, and a shift in one step would meet its neighbour."""
    parked = {old: free - n for n, old in enumerate(moves)}
    return parked, {parked[old]: new for old, new in moves.items()}
