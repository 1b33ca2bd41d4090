"""Lint revision files: their operations through the lint rules, their measured effect, and how each was judged."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from alembic.config import Config
from alembic.operations import ops
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from .config import alembic_config, project_of
from .connect import read_only_connection
from .dialects import IN_MEMORY_URL, STRICTEST, backend_of
from .guard import EFFECT, OPERATIONS, UNJUDGED, Verdict, measure, read_operations, read_verdict
from .lint import ERROR, Finding, LintContext, findings_text, lint_ops
from .revisions import Step, first_line, lookup, parents
from .runner import read_heads

GUARD_HINT = "if it is meant, back up and pass --allow-data-loss to upgrade/downgrade; else fix the revision"
# Rules about destroyed data, and about what reading cannot tell: for a revision judged by its effect, the
# measured losses replace them.
LOSS_RULES = frozenset({"drop-table", "drop-column", "narrowing-type", "raw-sql"})


@dataclass(frozen=True)
class RevisionLint:
    """A revision's lint: how it was judged, and what was found."""

    revision: str
    message: str
    direction: str
    judged_by: str
    how: str
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == ERROR)

    def to_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "message": self.message,
            "direction": self.direction,
            "judged_by": self.judged_by,
            "how": self.how,
            "findings": [finding.to_dict() for finding in self.findings],
        }

    def __str__(self) -> str:
        head = f"{self.revision}  {self.message}\n{self.direction}(): {self.how}"
        if not self.findings:
            return f"{head}\n0 findings"
        return f"{head}\n{findings_text(self.findings)}"


def lint_revisions(
    config: Config,
    revisions: list[str],
    direction: str = "upgrade",
    *,
    url: str | URL | None = None,
    dialect: str | None = None,
) -> list[RevisionLint]:
    """Lint `revisions` (oldest first, one line of history): each is read offline when reading tells everything;
    the others are measured together, in one run on a scratch database at the first one's parent: a copy of
    `url`'s schema when the database is at that revision, else built by the history.

    `url` gives live counts (read-only) and the backend for the scratch database; without it SQLite is used.
    """
    scripts = ScriptDirectory.from_config(config)
    chosen_scripts = [lookup(scripts, revision) for revision in revisions]
    target = project_of(config).database_url(url) if url is not None else None
    backend = backend_of(dialect) if dialect else backend_of(target) if target is not None else STRICTEST
    chosen = backend.name
    read = {script.revision: read_verdict(script, direction, chosen, config) for script in chosen_scripts}
    measured: dict[str, Verdict] = {}
    if any(verdict.judged_by == UNJUDGED for verdict in read.values()):
        measured = _measure(config, chosen_scripts, direction, target)
    results = []
    with read_only_connection(target) if target is not None else nullcontext(None) as connection:
        for script in chosen_scripts:
            findings = _rule_findings(script, direction, chosen, connection, config)
            verdict = read[script.revision]
            message = first_line(script.doc)
            if verdict.judged_by == OPERATIONS:
                how = "judged by its operations, read offline"
                results.append(RevisionLint(script.revision, message, direction, OPERATIONS, how, findings))
                continue
            found = measured.get(script.revision) or verdict
            results.append(_from_verdict(script.revision, message, direction, found, findings, verdict.reason))
    return results


def lint(
    revision: str = "head",
    *,
    url: str | URL | None = None,
    config: Config | str | None = None,
    every: bool = False,
    downgrade: bool = False,
    dialect: str | None = None,
) -> list[RevisionLint]:
    """`schema-tools lint` as a verb: one revision (default the head), or `every` one from base to head.

    Each is read offline when its operations tell everything, else measured on a scratch database; `url`
    adds live counts, read-only.
    """
    chosen_config = alembic_config(config, quiet=True)
    scripts = ScriptDirectory.from_config(chosen_config)
    if every:
        revisions = [script.revision for script in reversed(list(scripts.walk_revisions("base", "heads")))]
    else:
        revisions = [lookup(scripts, revision).revision]
    direction = "downgrade" if downgrade else "upgrade"
    return lint_revisions(chosen_config, revisions, direction, url=url, dialect=dialect)


def lint_revision(
    config: Config,
    revision: str,
    direction: str = "upgrade",
    *,
    url: str | URL | None = None,
    dialect: str | None = None,
) -> RevisionLint:
    """Lint one revision (see lint_revisions)."""
    return lint_revisions(config, [revision], direction, url=url, dialect=dialect)[0]


def _rule_findings(script: Any, direction: str, dialect: str, connection: Any, config: Config) -> tuple[Finding, ...]:
    """The lint rules over what the function does when read offline; none when it cannot be read (only its
    measured effect judges it then)."""
    try:
        recorded = read_operations(script, direction, dialect, config)
    except Exception:  # it needs the database to run: read_verdict has already said why
        return ()
    return lint_ops(ops.UpgradeOps(ops=list(recorded)), LintContext(dialect, connection))


def _measure(config: Config, chosen: list[Any], direction: str, target: Any) -> dict[str, Verdict]:
    steps = [Step(script.revision, first_line(script.doc)) for script in chosen]
    like = target if target is not None else IN_MEMORY_URL
    start: tuple[str, ...] = parents(chosen[0]) if direction == "upgrade" else (chosen[-1].revision,)
    final: tuple[str, ...] = (chosen[-1].revision,) if direction == "upgrade" else parents(chosen[0])
    if direction != "upgrade":
        steps.reverse()
    clone_from = target if target is not None and _at(target, start) else None
    return measure(config, like, start, steps, direction, final, clone_from=clone_from)


def _at(url: Any, revisions: tuple[str, ...]) -> bool:
    """True when the database at `url` is exactly at `revisions` (its schema is then the start to copy)."""
    try:
        return set(read_heads(url)) == set(revisions)
    except Exception:  # unreadable here: build the start from the history instead
        return False


def _from_verdict(
    revision: str, message: str, direction: str, verdict: Verdict, read: tuple[Finding, ...], why: str
) -> RevisionLint:
    operation = f"{direction}() of {revision}"
    if verdict.judged_by == EFFECT:
        how = f"judged by its effect on a scratch database ({verdict.reason}), because {why}"
        if read:
            how += "; the other lint rules read its operations offline"
    others = tuple(finding for finding in read if finding.rule not in LOSS_RULES)
    if verdict.judged_by == UNJUDGED:
        finding = Finding(
            "unjudged", ERROR, operation, None, None, f"cannot be judged: {verdict.reason}",
            "the guard refuses it without --allow-data-loss; make it plain op.* calls, or lint with --url on a "
            "server where a scratch database can be created",
        )  # fmt: skip
        return RevisionLint(revision, message, direction, UNJUDGED, verdict.how, (finding, *others))
    losses = tuple(
        Finding("data-loss-by-effect", ERROR, operation, None, None, loss, GUARD_HINT) for loss in verdict.losses
    )
    return RevisionLint(revision, message, direction, EFFECT, how, (*losses, *others))
