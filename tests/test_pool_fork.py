"""The local pool forks with kombu's and Celery's after-fork hooks held back, and puts them back at once."""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
from pathlib import Path

from kombu.resource import Resource

from schema_tools.pool_fork import broker_hooks_held_back


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
