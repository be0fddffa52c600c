"""The order in which a burst of keys is queued: the projects' shoots interleaved.

The shoots of one project share its SVM and LIFs and take turns changing them
(`controller.steps.project_turns`). Seed namespaces sort by project (`shoot--<project>--<name>`), so
queuing every key at once in name order (leadership taken, a resync) would hand all workers the
shoots of one project together: one takes the turn and the others are sent back. Interleaving the
projects lets the workers work for different projects side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

K = TypeVar("K")


def interleave_by_group(keys: Iterable[K], group_of: Callable[[K], Hashable]) -> list[K]:
    """`keys` round-robin over their groups: the first of each group (groups in order of first
    appearance), then the second of each, and so on; the order within a group is kept."""
    rank: dict[Hashable, int] = {}
    seen: dict[Hashable, int] = {}
    placed: list[tuple[int, int, K]] = []
    for key in keys:
        group = group_of(key)
        group_rank = rank.setdefault(group, len(rank))
        depth = seen.get(group, 0)
        seen[group] = depth + 1
        placed.append((depth, group_rank, key))
    placed.sort(key=lambda entry: (entry[0], entry[1]))
    return [key for _, _, key in placed]
