"""One image per position: the stacks of a series that holds several images at a position.

A series may hold two echoes at every position, a magnitude and a field map (Philips fMAP),
four time points (Siemens XA enhanced) or several b-values. Stacked into one volume they
would alternate as the user scrolls, mix in the reformats, count twice in volumes and make a
SEG impossible (a SEG plane holds one source frame). So the volume keeps one stack: the
images that share the attributes telling the stacks apart (echo, time, type, b-value ...),
the stack with the most images; on a tie the first in acquisition order (echo 1, the first
time point, b0), else the one the scanner numbered first (Philips' magnitude before its field
map); the others are left out, each with what sets it apart.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

Stack = tuple[tuple[str, str], ...]  # (attribute, value) pairs that tell stacks apart
T = TypeVar("T")

# Single-frame images (and an enhanced image's own top level): PS3.3 C.7.6.1, C.8.3.1, C.8.13.
_TOP_LEVEL = (
    ("echo number", "EchoNumbers"),
    ("echo time", "EchoTime"),
    ("temporal position", "TemporalPositionIdentifier"),
    ("trigger time", "TriggerTime"),
    ("b-value", "DiffusionBValue"),
    ("image type", "ImageType"),
    ("acquisition", "AcquisitionNumber"),
)
# Enhanced images, per frame (PS3.3 C.7.6.16.2): (name, functional group sequence, attribute).
_PER_FRAME = (
    ("frame type", "MRImageFrameTypeSequence", "FrameType"),
    ("frame type", "CTImageFrameTypeSequence", "FrameType"),
    ("echo time", "MREchoSequence", "EffectiveEchoTime"),
    ("temporal position", "FrameContentSequence", "TemporalPositionIndex"),
    ("stack", "FrameContentSequence", "StackID"),
    ("b-value", "MRDiffusionSequence", "DiffusionBValue"),
    ("trigger delay", "CardiacSynchronizationSequence", "NominalCardiacTriggerDelayTime"),
)


def image_stack(ds: Dataset) -> Stack:
    """The stack attributes of an image (for an enhanced one, those of the whole image)."""
    found = ((name, _text(ds.get(keyword))) for name, keyword in _TOP_LEVEL)
    return tuple((name, value) for name, value in found if value)


def frame_stack(groups: Sequence[Dataset], image: Stack) -> Stack:
    """The stack attributes of one frame of an enhanced image: its functional groups (the
    frame's first, then the shared ones), then the image's own."""
    values: dict[str, str] = {}
    for name, sequence, keyword in _PER_FRAME:
        for group in groups:
            items = group.get(sequence)
            if name not in values and items and keyword in items[0]:
                values[name] = _text(items[0].get(keyword))
    own = tuple((n, v) for n, v in values.items() if v)
    return own + tuple((n, v) for n, v in image if n not in values)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | MultiValue):
        return "\\".join(str(v) for v in value)
    return str(value).strip()


@dataclass(frozen=True)
class Split(Generic[T]):
    """The items kept (one per position, in the order given) and those left out, with why."""

    kept: list[T]
    left_out: list[tuple[T, str]]


def one_per_position(
    items: Sequence[T], position: Sequence[int], stack: Callable[[T], Stack]
) -> Split[T]:
    """Keep one stack of `items` (sorted by position; `position[i]` numbers item i's position).

    Nothing changes when every position holds one item, or when all share one position (a
    cine loop: its frames are the series). Otherwise the stacks are told apart by the
    attributes whose values differ at some position; when none do, or they make more stacks
    than the most images at a position (a value that changes with every image), by order at
    each position (the first image at each, the second ...). A stack that lies mostly at
    positions the kept one lacks (a second station overlapping the first by a few slices)
    keeps those positions; only its images where the kept stack already is are left out.
    """
    count = len(set(position))
    if count in (0, 1, len(items)):
        return Split(list(items), [])
    keys = _stack_keys(items, position, stack)
    groups: dict[Stack, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        groups[key].append(i)
    order = sorted(groups, key=lambda k: (len(groups[k]), _first_in_order(k), -groups[k][0]))
    chosen = order[-1]
    covered = {position[i] for i in groups[chosen]}
    kept = set(groups[chosen])
    for key in reversed(order[:-1]):
        members = groups[key]
        shared = sum(position[i] in covered for i in members)
        if shared * 2 >= len(members):
            continue  # a stack beside the chosen one (another echo, time point, type)
        # Mostly elsewhere: another station of the series (its overlap with the kept ones goes).
        extra = [i for i in members if position[i] not in covered]
        kept.update(extra)
        covered.update(position[i] for i in extra)
    left_out = [(items[i], _why(keys[i], chosen)) for i in range(len(items)) if i not in kept]
    return Split([items[i] for i in sorted(kept)], left_out)


def _stack_keys(
    items: Sequence[T], position: Sequence[int], stack: Callable[[T], Stack]
) -> list[Stack]:
    """Each item's stack: its values of the telling attributes, else its order at its position."""
    values = [dict(stack(item)) for item in items]
    at: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(position):
        at[p].append(i)
    shared = [members for members in at.values() if len(members) > 1]
    names = sorted(
        {
            name
            for members in shared
            for name in {n for i in members for n in values[i]}
            if len({values[i].get(name, "") for i in members}) > 1
        }
    )
    keys = [tuple((n, values[i].get(n, "-")) for n in names) for i in range(len(items))]
    most = max(len(members) for members in shared)
    apart = all(len({keys[i] for i in members}) == len(members) for members in shared)
    if names and apart and len(set(keys)) == most:
        return keys
    order = {i: n for members in at.values() for n, i in enumerate(members)}
    return [(("order at its position", str(order[i] + 1)),) for i in range(len(items))]


# Numbered in acquisition order: on a tie the lowest is kept (echo 1, the first time point, b0).
# Not echo time: a field map's is 0.
_ORDINALS = frozenset(
    {"echo number", "temporal position", "trigger time", "trigger delay", "b-value", "acquisition"}
)


def _first_in_order(key: Stack) -> tuple[float, ...]:
    """Larger for the stack earlier in acquisition order (compared between stacks on a tie)."""
    return tuple(-_number(value) for name, value in key if name in _ORDINALS)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("inf")


def _why(key: Stack, chosen: Stack) -> str:
    """What sets a left-out stack apart from the kept one, e.g. 'echo number 2, not 1'."""
    differ = [(name, mine, kept) for (name, mine), (_, kept) in zip(key, chosen, strict=True)]
    return "; ".join(f"{name} {mine}, not {kept}" for name, mine, kept in differ if mine != kept)
