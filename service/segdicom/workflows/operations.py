"""Editor operations over an annotation's stored masks (margin, smoothing, islands, logic,
grow from seeds, scissors through slices): computed on the whole volume, written through
the versioned mask store with one version bump and one audit event, or previewed."""

import json
from dataclasses import asdict, dataclass

import numpy as np

from segdicom.db import annotations as repo
from segdicom.db import events
from segdicom.errors import BadInput, Conflict, NotFound
from segdicom.imaging import editing
from segdicom.imaging.editing import Box, Logic
from segdicom.imaging.margin_geometry import margin_box, margin_in_space, true_placement
from segdicom.imaging.seeds import grow_from_seeds
from segdicom.masks import encode_mask
from segdicom.seg.codes import default_color
from segdicom.state import AppState
from segdicom.workflows.editing import StoredMasks, full_box, grow_box, read_masks
from segdicom.workflows.operation_types import (
    Changed,
    EditableArea,
    GrowFromSeeds,
    IslandAction,
    Islands,
    LogicOp,
    Margin,
    Operation,
    OperationResult,
    Scissors,
    Smooth,
)
from segdicom.workflows.reformat import stack
from segdicom.workflows.volumes import slice_keys

MAX_SEGMENTS = 255
ANYWHERE = EditableArea()  # overlap allowed, nothing locked


def name_of(op: Operation) -> str:
    return {
        Margin: "margin",
        Smooth: "smoothing",
        Islands: "islands",
        LogicOp: "logic",
        GrowFromSeeds: "grow_from_seeds",
        Scissors: "scissors",
    }[type(op)]


def segments_of(op: Operation) -> tuple[int, ...]:
    if isinstance(op, GrowFromSeeds):
        return op.segments
    if isinstance(op, LogicOp) and op.source is not None:
        return (op.segment, op.source)
    return (op.segment,)


@dataclass(frozen=True)
class Edit:
    """A segment's new masks within `box` (an array of the box's shape); outside the box
    the segment stays as it is."""

    box: Box
    mask: np.ndarray


def run(
    st: AppState,
    annotation_id: int,
    op: Operation,
    expected: int,
    who: str,
    preview: bool,
    area: EditableArea = ANYWHERE,
) -> OperationResult:
    """Apply `op` to the masks as of version `expected` (Conflict when the annotation has
    moved on) within the editable `area`; write every changed slice with one version bump,
    or only answer them."""
    stored = read_masks(st, annotation_id, area.to_read(segments_of(op)))
    if stored.version != expected:
        raise Conflict(
            f"annotation {annotation_id} is at version {stored.version}; "
            f"this operation was based on version {expected}: reload and retry"
        )
    for number in segments_of(op):
        if number not in stored.segments:
            raise NotFound(f"annotation {annotation_id} has no segment {number}")
    edits = restrict(stored, compute(st, stored, op), area, segments_of(op)[0])
    changed = _diff(stored, edits)
    if preview:
        masks = {
            n: {k: encode_mask(_slice_after(stored, n, edits[n], k), level=1) for k in ks}
            for n, ks in changed.items()
        }
        return OperationResult(None, _listed(changed), masks=masks)
    version, numbers = _write(st, stored, op, edits, changed, expected, who)
    renamed = {numbers.get(n, n): slices for n, slices in changed.items()}
    return OperationResult(version, _listed(renamed), tuple(sorted(numbers.values())))


def compute(st: AppState, stored: StoredMasks, op: Operation) -> dict[int, Edit]:
    """The segments `op` changes and their new masks within a box that holds every change;
    a split's new islands go under the negative keys -1, -2, ... in order."""
    v = stored.volume
    sampling = (v.spacing[2], v.spacing[0], v.spacing[1])
    if isinstance(op, GrowFromSeeds):
        return _grow(st, stored, op, sampling)
    if isinstance(op, Scissors):
        first, last = op.slices or (0, v.num_slices - 1)
        if first >= v.num_slices:
            raise BadInput(f"slices start at {first}, past the last slice {v.num_slices - 1}")
        box = (slice(first, min(last, v.num_slices - 1) + 1), slice(0, v.rows), slice(0, v.columns))
        mask = stored.crop(op.segment, box)
        span = (0, box[0].stop - box[0].start - 1)
        return {op.segment: Edit(box, editing.scissors(mask, op.polygon, op.fill, op.inside, span))}
    if isinstance(op, LogicOp):
        return _logic(stored, op)
    found = stored.box_of([op.segment])
    if found is None:
        return {}
    if isinstance(op, Margin):
        return {op.segment: _margin(stored, op, found, sampling)}
    if isinstance(op, Smooth):
        ball = editing.ellipsoid(op.kernel_mm, sampling)
        box = grow_box(found, [2 * (n // 2) + 1 for n in ball.shape], stored.shape)
        new = editing.smooth(stored.crop(op.segment, box), op.method, op.kernel_mm, sampling)
        return {op.segment: Edit(box, new)}
    return {n: Edit(found, m) for n, m in _islands(stored.crop(op.segment, found), op).items()}


def restrict(
    stored: StoredMasks, edits: dict[int, Edit], area: EditableArea, owner: int
) -> dict[int, Edit]:
    """`edits` within the editable area: none of a locked segment (a split's islands, keys
    < 0, belong to `owner`), and no new voxel where a protected segment lies."""
    out = {}
    for number, edit in edits.items():
        if (number if number > 0 else owner) in area.locked:
            continue
        guards = area.protecting(number, stored.segments) if number > 0 else []
        if not guards:
            out[number] = edit
            continue
        blocked = np.zeros(edit.mask.shape, dtype=bool)
        for n in guards:
            blocked |= stored.crop(n, edit.box)
        blocked &= ~stored.crop(number, edit.box)
        out[number] = Edit(edit.box, edit.mask & ~blocked)
    return out


def _margin(stored: StoredMasks, op: Margin, found: Box, sampling: editing.Sampling) -> Edit:
    """On a regular stack the index grid with its one step; otherwise each slice's true
    position (uneven spacing, a missing slice or a gantry tilt move the voxels off that grid)."""
    stack = true_placement(stored.volume)
    if stack is None:
        box = grow_box(found, _reach(op.mm, sampling), stored.shape) if op.mm > 0 else found
        return Edit(box, editing.margin(stored.crop(op.segment, box), op.mm, sampling))
    box = margin_box(found, op.mm, stack, stored.shape) if op.mm > 0 else found
    place = stack.around(box[0].start, box[0].stop)
    return Edit(box, margin_in_space(stored.crop(op.segment, box), op.mm, place))


def _reach(mm: float, sampling: editing.Sampling) -> list[int]:
    return [int(np.ceil(abs(mm) / s)) + 1 for s in sampling]


def _logic(stored: StoredMasks, op: LogicOp) -> dict[int, Edit]:
    if op.op is Logic.INVERT:
        box: Box | None = full_box(stored.shape)
    else:
        box = stored.box_of([op.segment] if op.source is None else [op.segment, op.source])
    if box is None:
        return {}
    source = None if op.source is None else stored.crop(op.source, box)
    return {op.segment: Edit(box, editing.logic(op.op, stored.crop(op.segment, box), source))}


def _islands(mask: np.ndarray, op: Islands) -> dict[int, np.ndarray]:
    if op.action is IslandAction.KEEP_LARGEST:
        return {op.segment: editing.keep_largest(mask)}
    if op.action is IslandAction.REMOVE_SMALL:
        return {op.segment: editing.remove_small(mask, op.min_voxels)}
    found = editing.islands(mask)
    if not found:
        return {op.segment: mask}
    return {op.segment: found[0]} | {-n: island for n, island in enumerate(found[1:], start=1)}


def _grow(
    st: AppState, stored: StoredMasks, op: GrowFromSeeds, sampling: editing.Sampling
) -> dict[int, Edit]:
    found = stored.box_of(op.segments)
    if found is None:
        raise BadInput("grow_from_seeds needs painted seeds; the segments are empty")
    if op.region_mm is None:
        box = full_box(stored.shape)
    else:
        reach = [int(np.ceil(op.region_mm / s)) for s in sampling]
        box = grow_box(found, reach, stored.shape)
    image = stack(st, stored.volume)[box]
    grown = grow_from_seeds(image, [stored.crop(n, box) for n in op.segments], sampling)
    return {n: Edit(box, region) for n, region in zip(op.segments, grown, strict=True)}


def _diff(stored: StoredMasks, edits: dict[int, Edit]) -> dict[int, tuple[int, ...]]:
    """segment (or new island key) -> the slices whose mask differs from the stored one."""
    changed = {}
    for number, edit in edits.items():
        before = stored.slices_of(number) if number > 0 else {}
        k_box, r_box, c_box = edit.box
        painted = np.flatnonzero(edit.mask.any(axis=(1, 2))) + k_box.start
        candidates = sorted(
            set(painted.tolist()) | {k for k in before if k_box.start <= k < k_box.stop}
        )
        empty = np.zeros(edit.mask.shape[1:], dtype=bool)
        slices = tuple(
            k
            for k in candidates
            if not np.array_equal(
                before[k][r_box, c_box] if k in before else empty, edit.mask[k - k_box.start]
            )
        )
        if slices:
            changed[number] = slices
    return changed


def _slice_after(stored: StoredMasks, number: int, edit: Edit, k: int) -> np.ndarray:
    """Segment `number`'s whole mask on slice `k` after `edit`."""
    before = stored.slices_of(number).get(k) if number > 0 else None
    v = stored.volume
    out = np.zeros((v.rows, v.columns), dtype=bool) if before is None else before.copy()
    k_box, r_box, c_box = edit.box
    out[r_box, c_box] = edit.mask[k - k_box.start]
    return out


def _listed(changed: dict[int, tuple[int, ...]]) -> tuple[Changed, ...]:
    return tuple(Changed(n, ks) for n, ks in sorted(changed.items()))


def _write(
    st: AppState,
    stored: StoredMasks,
    op: Operation,
    edits: dict[int, Edit],
    changed: dict[int, tuple[int, ...]],
    expected: int,
    who: str,
) -> tuple[int, dict[int, int]]:
    """Every changed slice, the new segments of a split, one version bump, one event;
    (the new version, a split's island keys -> their new segment numbers)."""
    keys = slice_keys(stored.volume)
    with st.sessions.begin() as session:
        version = repo.bump_version(session, stored.annotation_id, expected)
        numbers = _new_segments(stored, changed)
        for number, slices in changed.items():
            target = numbers.get(number, number)
            if target != number:
                repo.put_segment(
                    session, stored.annotation_id, target, _split_fields(stored, op, target)
                )
            masks = {k: _stored(_slice_after(stored, number, edits[number], k)) for k in slices}
            repo.put_masks(session, stored.annotation_id, target, masks, keys)
        events.append(
            session,
            user=who,
            action=f"op_{name_of(op)}",
            study_uid=stored.study_uid,
            series_uid=stored.series_uid,
            annotation_id=stored.annotation_id,
            slice=_span(changed),
            labels=";".join(stored.segments[n].label for n in segments_of(op)),
            detail=json.dumps(_detail(op)),
        )
    return version, numbers


def _new_segments(stored: StoredMasks, changed: dict[int, tuple[int, ...]]) -> dict[int, int]:
    """Numbers for a split's new islands (keys -1, -2, ...): the next free ones."""
    islands = sorted((n for n in changed if n < 0), reverse=True)
    if not islands:
        return {}
    first = max(stored.segments) + 1
    if first + len(islands) - 1 > MAX_SEGMENTS:
        raise BadInput(
            f"splitting makes {len(islands)} new segments, beyond the limit of {MAX_SEGMENTS}"
        )
    return {key: first + i for i, key in enumerate(islands)}


def _split_fields(stored: StoredMasks, op: Operation, number: int) -> repo.SegmentFields:
    base = stored.segments[segments_of(op)[0]]
    label = f"{base.label} {number}"[:64]
    fields = base.fields
    return repo.SegmentFields(label, default_color(number), fields.category, fields.type)


def _stored(mask: np.ndarray) -> bytes | None:
    # Level 1: a volume operation packs hundreds of slices; a mask is small at any level.
    return encode_mask(mask, level=1) if mask.any() else None


def _span(changed: dict[int, tuple[int, ...]]) -> str:
    every = [k for ks in changed.values() for k in ks]
    return f"{min(every)}-{max(every)}" if every else ""


def _detail(op: Operation) -> dict[str, object]:
    fields = asdict(op)
    if isinstance(op, Scissors):  # a lasso has hundreds of vertices: the log keeps its extent
        rows, columns = zip(*op.polygon, strict=True)
        fields["polygon"] = {
            "vertices": len(op.polygon),
            "rows": [min(rows), max(rows)],
            "columns": [min(columns), max(columns)],
        }
    return {"operation": name_of(op), **fields}
