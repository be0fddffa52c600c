"""One writer per project: the shoots of a project share its SVM and LIFs, so changes to them take turns.

A shoot whose turn it is not does not park a worker on the lock: `project_turn` raises `ProjectBusy`,
the reconciler asks for the key to be queued again as soon as the current holder is done
(`ProjectBusy.on_release`), and the worker takes other work meanwhile. Deletion waits for its turn
(`wait=True`), which is rare and must not interleave with a creation.

Locks and waiters are per event loop (the leader is the only writer, in one process).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Project:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    doing: str = ""  # what the holder of the turn is doing
    waiters: list[Callable[[], None]] = field(default_factory=list)


_projects: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Project]] = (
    weakref.WeakKeyDictionary()
)


def _project(project_id: str) -> _Project:
    projects = _projects.setdefault(asyncio.get_running_loop(), {})
    return projects.setdefault(project_id, _Project())


class ProjectBusy(Exception):
    """Another shoot of the project is changing its SVM or LIFs right now; come back when it is done."""

    def __init__(self, project_id: str, doing: str) -> None:
        super().__init__(f"another shoot of project {project_id} is {doing}; this pass comes back after it")
        self.project_id = project_id

    def on_release(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the current holder's turn ends (at once if it already has)."""
        project = _project(self.project_id)
        if project.lock.locked():
            project.waiters.append(callback)
        else:
            callback()


@asynccontextmanager
async def project_turn(project_id: str, doing: str, *, wait: bool = False) -> AsyncIterator[None]:
    """Hold the project's turn; when another shoot holds it, raise `ProjectBusy` at once, or with
    `wait` wait for the turn (deletion)."""
    project = _project(project_id)
    if project.lock.locked() and not wait:
        raise ProjectBusy(project_id, project.doing)
    async with project.lock:
        project.doing = doing
        try:
            yield
        finally:
            project.doing = ""
            waiters, project.waiters = project.waiters, []
            for callback in waiters:
                callback()
