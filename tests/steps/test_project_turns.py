"""Shoots of one project take turns changing its SVM and LIFs, without parking a worker."""

from __future__ import annotations

import asyncio

import pytest

from controller.steps.project_turns import ProjectBusy, project_turn


async def test_a_second_shoot_is_told_to_come_back_and_is_called_when_the_turn_ends() -> None:
    woken: list[str] = []
    async with project_turn("p1", "creating the SVM"):
        with pytest.raises(ProjectBusy, match="another shoot of project p1 is creating the SVM") as busy:
            async with project_turn("p1", "changing the LIFs"):
                pytest.fail("two turns of one project at once")
        busy.value.on_release(lambda: woken.append("a"))
        busy.value.on_release(lambda: woken.append("b"))
        # Another project is not held up.
        async with project_turn("p2", "creating the SVM"):
            pass
        assert woken == []
    assert woken == ["a", "b"]


async def test_come_back_at_once_when_the_turn_already_ended() -> None:
    async with project_turn("p1", "x"):
        with pytest.raises(ProjectBusy) as busy:
            async with project_turn("p1", "y"):
                pass
    woken: list[bool] = []
    busy.value.on_release(lambda: woken.append(True))
    assert woken == [True]


async def test_deletion_waits_for_its_turn_and_releases_waiters() -> None:
    order: list[str] = []
    woken: list[bool] = []
    holder_in = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with project_turn("p1", "creating the SVM"):
            holder_in.set()
            await release.wait()
            order.append("create")

    async def deleter() -> None:
        async with project_turn("p1", "deleting the SVM", wait=True):
            order.append("delete")

    task = asyncio.create_task(holder())
    await holder_in.wait()
    waiting = asyncio.create_task(deleter())
    await asyncio.sleep(0.05)
    assert order == []
    with pytest.raises(ProjectBusy) as busy:
        async with project_turn("p1", "changing the LIFs"):
            pass
    busy.value.on_release(lambda: woken.append(True))
    release.set()
    await asyncio.gather(task, waiting)
    assert order == ["create", "delete"]
    assert woken == [True]
