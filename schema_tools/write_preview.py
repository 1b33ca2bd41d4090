"""preview_write(): the revision file a Draft would write, and where, without writing into the app's migrations.

The draft is written for real, by Draft.write and Alembic's own template and post-write hooks, into a throwaway
copy of the migrations folder (scratch_project); the preview maps that file back to the app's folder. The
revision id and date Alembic picks at write time show as placeholders, so the preview is the same every run.
"""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from alembic.config import Config

from .config import alembic_config, display_path, project_of
from .display import STYLE, escape
from .scratch import scratch_project
from .scripts import load_scripts


class Draft(Protocol):
    """What a preview needs of schema_tools.draft.Draft (a protocol, so Draft.write may call this module)."""

    @property
    def message(self) -> str: ...
    def write(self, config: Config | None = None) -> Path: ...


REVISION_PLACEHOLDER = "<rev>"
_TOKEN = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[a-z]")
_DATE_TOKENS = {"year": "YYYY", "month": "MM", "day": "DD", "hour": "hh", "minute": "mm", "second": "ss"}
_CREATE_DATE = re.compile(r"^(Create Date:)[^\n]*$", re.MULTILINE)


@dataclass(frozen=True)
class WritePreview:
    """The file Draft.write would write: its path relative to the app's folder, and its text."""

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return (
            f"would write {self.path} (nothing written; {REVISION_PLACEHOLDER} is chosen when written)\n\n{self.code}"
        )

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        from .highlight import highlight_python

        caption = (
            f'<div class="st-caption">would write <code style="white-space:nowrap">{escape(self.path)}</code> '
            f"(nothing written yet; Alembic picks the revision id, shown as {escape(REVISION_PLACEHOLDER)}, "
            "when it writes); call <code>.write()</code> on the draft to write it</div>"
        )
        return STYLE + caption + highlight_python(self.code)


def preview_write(draft: Draft, config: Config | None = None) -> WritePreview:
    """What `draft.write(config)` would write, written into a scratch copy of the migrations instead.

    Refuses exactly as write() does (several heads, a database behind the head).
    """
    cfg = config if config is not None else alembic_config(quiet=True)
    copy = scratch_project(cfg)
    with redirect_stdout(io.StringIO()):  # Alembic's post-write hooks print their progress even when quiet
        written = draft.write(copy)
    revision = next(s.revision for s in load_scripts(copy).walk_revisions() if Path(s.path) == written)
    scratch_location = Path(copy.get_main_option("script_location") or "")
    real_location = Path(cfg.get_main_option("script_location") or "")
    template = cfg.get_main_option("file_template") or "%(rev)s_%(slug)s"
    name = stable_name(template, written.name, revision)
    real = real_location / written.parent.relative_to(scratch_location) / name
    code = _CREATE_DATE.sub(r"\1 <when written>", written.read_text().replace(revision, REVISION_PLACEHOLDER))
    return WritePreview(display_path(real.resolve(), project_of(cfg).root.resolve()), code, draft.message)


def stable_name(template: str, name: str, revision: str) -> str:
    """A revision file's name with its id and date tokens as placeholders (file_template read backwards)."""
    stem, dot, suffix = name.rpartition(".")
    pattern, tokens, last = "", [], 0
    for found in _TOKEN.finditer(template):
        token = found.group(1)
        group = f"(?P<{token}>.+)" if token == "slug" else f"(?P<{token}>.+?)"
        pattern += re.escape(template[last : found.start()]) + (group if token not in tokens else ".+?")
        tokens.append(token)
        last = found.end()
    matched = re.fullmatch(pattern + re.escape(template[last:]), stem)
    if matched is None:
        return name.replace(revision, REVISION_PLACEHOLDER)
    parts, end = [], 0
    for token in dict.fromkeys(tokens):
        start, stop = matched.span(token)
        value = REVISION_PLACEHOLDER if token == "rev" else _DATE_TOKENS.get(token, matched.group(token))
        if token == "epoch":
            value = "EPOCH"
        parts.append(stem[end:start] + value)
        end = stop
    return "".join(parts) + stem[end:] + dot + suffix
