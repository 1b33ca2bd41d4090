"""The local pool forks with its objects frozen and the broker after-fork hooks held back, then restores both."""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.util
from pathlib import Path

from kombu.resource import Resource

from schema_tools.pool_fork import broker_hooks_held_back, objects_frozen


class MarkingResource(Resource):
    """A kombu resource pool whose after-fork cleanup (kombu's own hook) leaves a mark naming the process."""

    close_after_fork = True

    def __init__(self, marks: Path) -> None:
        super().__init__(limit=1)
        self.marks = marks

    def setup(self) -> None:
        pass

    def force_close_all(self, close_pool: bool = True) -> None:
        with self.marks.open("a") as marks:
            marks.write(f"{multiprocessing.current_process().name}\n")


def _child() -> None:
    pass


def _fork(name: str) -> None:
    child = multiprocessing.get_context("fork").Process(target=_child, name=name)
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0


def _keys() -> set[object]:
    return set(multiprocessing.util._afterfork_registry.keys())  # type: ignore[attr-defined]


def test_a_process_forked_inside_skips_kombus_hook_and_one_forked_after_runs_it(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    resource = MarkingResource(marks)
    before = _keys()
    with broker_hooks_held_back():
        assert not any(key[2].__module__.startswith("kombu.") for key in _keys())  # type: ignore[index]
        _fork("forked-inside")
    assert _keys() == before  # every hook is back, under its own key (their order is kept)
    _fork("forked-after")
    assert marks.read_text().split() == ["forked-after"]  # kombu's hook ran in the second child only
    assert resource.marks == marks


def _frozen_in_child(marks: Path) -> None:
    marks.write_text(str(gc.get_freeze_count()))


def _child_freeze_count(marks: Path) -> int:
    child = multiprocessing.get_context("fork").Process(target=_frozen_in_child, args=(marks,))
    child.start()
    child.join(timeout=30)
    return int(marks.read_text())


def test_a_process_forked_inside_inherits_frozen_objects_and_the_caller_is_unfrozen_after(tmp_path: Path) -> None:
    assert gc.get_freeze_count() == 0
    with objects_frozen():
        inside = _child_freeze_count(tmp_path / "inside")
    after = _child_freeze_count(tmp_path / "after")
    assert inside > 1000 and after == 0  # the caller's objects, frozen in the child; nothing frozen after
    assert gc.get_freeze_count() == 0


def test_a_caller_that_froze_its_objects_itself_keeps_them_frozen(tmp_path: Path) -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with objects_frozen():
            pass
        assert gc.get_freeze_count() == frozen  # neither unfrozen nor frozen further
    finally:
        gc.unfreeze()
