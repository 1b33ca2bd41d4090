"""The revision graph, read through Alembic's public API: where a target leads and which revisions lie between."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from alembic.script import Script, ScriptDirectory
from alembic.script.revision import RevisionError as AlembicRevisionError
from alembic.util.exc import CommandError

from .errors import RevisionError
from .revision_labels import revision_message

_RELATIVE = re.compile(r"^(?P<anchor>.*?)(?P<sign>[+-])(?P<steps>\d+)$")


@dataclass(frozen=True)
class Step:
    """One revision a migration applies (or reverts)."""

    revision: str
    message: str


def first_line(text: str | None) -> str:
    """A revision's message: the first line of its docstring."""
    stripped = (text or "").strip()
    return stripped.splitlines()[0] if stripped else ""


def parents(script: Script) -> tuple[str, ...]:
    """The revisions `script` builds on (its down_revision, one or several)."""
    down = script.down_revision
    if down is None:
        return ()
    return (down,) if isinstance(down, str) else tuple(down)


def lookup(scripts: ScriptDirectory, revision: str) -> Script:
    """One revision by id, partial id or symbol, with a one-line error naming what exists."""
    try:
        found = scripts.get_revision(revision)
    except (AlembicRevisionError, CommandError, KeyError, ValueError) as error:
        raise RevisionError(f"unknown revision {revision!r} ({_reason(error)}): see schema-tools history") from None
    if found is None:
        raise RevisionError(f"{revision!r} is not a single revision here: name a revision id")
    return found


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:160] if text else type(error).__name__


def ancestors(scripts: ScriptDirectory, revisions: Iterable[str]) -> set[str]:
    """Every revision reachable down from `revisions`, themselves included."""
    seen: set[str] = set()
    pending = list(revisions)
    while pending:
        revision = pending.pop()
        if revision in seen:
            continue
        seen.add(revision)
        pending.extend(parents(lookup(scripts, revision)))
    return seen


def _walk(scripts: ScriptDirectory, start: str | None, sign: str, steps: int, spelled: str) -> str | None:
    """`steps` revisions up (+) or down (-) from `start` (None is base), along a single line of history."""
    current = start
    for taken in range(steps):
        if sign == "-":
            if current is None:
                raise RevisionError(
                    f"relative revision {spelled} goes below base (only {taken} revision(s) down): "
                    "name a revision, or base"
                )
            ups = parents(lookup(scripts, current))
            if len(ups) > 1:
                raise RevisionError(f"relative revision {spelled} crosses the merge {current}: name a revision")
            current = ups[0] if ups else None
        else:
            children = sorted(scripts.get_bases()) if current is None else sorted(lookup(scripts, current).nextrev)
            if not children:
                raise RevisionError(
                    f"relative revision {spelled} goes past the head (only {taken} revision(s) up): use head"
                )
            if len(children) > 1:
                raise RevisionError(
                    f"relative revision {spelled} is ambiguous after {current or 'base'} "
                    f"({', '.join(children)} follow it): name a revision"
                )
            current = children[0]
    return current


def resolve(scripts: ScriptDirectory, current: tuple[str, ...], target: str, direction: str) -> tuple[str, ...]:
    """The revisions `target` names, for the database at `current` (empty tuple: base). Errors are one line."""
    spelled = target.strip()
    if not spelled:
        raise RevisionError("no target revision given: name a revision, head or base")
    if spelled == "base":
        return ()
    if spelled in ("head", "heads"):
        heads = tuple(sorted(scripts.get_heads()))
        return heads
    relative = _RELATIVE.match(spelled)
    if relative:
        anchor, sign, steps = relative["anchor"], relative["sign"], int(relative["steps"])
        if direction == "downgrade" and sign == "+":
            raise RevisionError(f"downgrade takes a revision, -N or base, not {spelled}")
        if anchor in ("", "current"):
            if len(current) > 1:
                raise RevisionError(f"relative revision {spelled} is ambiguous: the database has {len(current)} heads")
            start = current[0] if current else None
        elif anchor in ("head", "heads"):
            script_heads = sorted(scripts.get_heads())
            if len(script_heads) != 1:
                raise RevisionError(
                    f"relative revision {spelled} is ambiguous: the scripts have {len(script_heads)} heads"
                )
            start = script_heads[0]
        elif anchor == "base":
            start = None
        else:
            start = lookup(scripts, anchor).revision
        landed = _walk(scripts, start, sign, steps, spelled)
        return () if landed is None else (landed,)
    return (lookup(scripts, spelled).revision,)


def _after_upgrade(
    scripts: ScriptDirectory, current: tuple[str, ...], targets: tuple[str, ...], below_current: set[str]
) -> tuple[str, ...]:
    if not targets:
        if current:
            raise RevisionError(f"upgrade to base from {', '.join(current)}: use downgrade base")
        return ()
    for target in targets:
        if target in below_current and target not in current:
            raise RevisionError(
                f"the database is already past {target} (at {', '.join(current)}): use downgrade to go back"
            )
    below_targets = ancestors(scripts, targets)
    kept = {revision for revision in current if revision not in below_targets}
    return tuple(sorted(kept | set(targets)))


def _after_downgrade(
    scripts: ScriptDirectory, current: tuple[str, ...], targets: tuple[str, ...], below_current: set[str]
) -> tuple[str, ...]:
    if not targets:
        return ()
    target = targets[0]
    if target not in below_current:
        raise RevisionError(
            f"downgrade to {target}: it is not below the database's revision ({', '.join(current) or 'base'})"
        )
    above_target = {
        revision for revision in current if target in ancestors(scripts, (revision,)) and revision != target
    }
    kept = set(current) - above_target
    if above_target:
        kept.add(target)
    return tuple(sorted(kept))


def expected_heads(
    scripts: ScriptDirectory, current: tuple[str, ...], targets: tuple[str, ...], direction: str
) -> tuple[str, ...]:
    """The database's revisions after migrating from `current` to `targets`, refusing moves the wrong way."""
    after = _after_upgrade if direction == "upgrade" else _after_downgrade
    return after(scripts, current, targets, ancestors(scripts, current))


def between(scripts: ScriptDirectory, lower: tuple[str, ...], upper: tuple[str, ...]) -> list[Step]:
    """Revisions above `lower` and up to `upper`, oldest first: what an upgrade from lower to upper applies."""
    wanted = ancestors(scripts, upper) - ancestors(scripts, lower)
    ordered = [script for script in reversed(list(scripts.walk_revisions())) if script.revision in wanted]
    return [Step(script.revision, revision_message(script)) for script in ordered]


def plan(
    scripts: ScriptDirectory, current: tuple[str, ...], target: str, direction: str
) -> tuple[tuple[str, ...], list[Step]]:
    """(heads after, steps in the order they run) for migrating the database at `current` to `target`."""
    targets = resolve(scripts, current, target, direction)
    after = expected_heads(scripts, current, targets, direction)
    if direction == "upgrade":
        return after, between(scripts, current, after)
    return after, list(reversed(between(scripts, after, current)))
