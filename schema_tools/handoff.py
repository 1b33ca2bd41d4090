"""Hand env.py the URL to migrate every way env.py files read one, and take it all back afterwards.

Most apps keep Alembic's stock env.py, which builds its engine from `sqlalchemy.url` and ignores
`config.attributes["connection"]`; others read `-x url=...` or an environment variable.
"""

from __future__ import annotations

import argparse
import ast
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection

from .config import project_of
from .connect import sync_url
from .dialects import backend_of

_ASYNC_ENGINE_FACTORIES = frozenset({"async_engine_from_config", "create_async_engine"})
_HANDED_ATTRIBUTES = ("connection", "url")


def env_script(config: Config) -> Path:
    """The env.py Alembic will run for `config`."""
    return Path(ScriptDirectory.from_config(config).dir) / "env.py"


def env_is_async(config: Config) -> bool:
    """True when env.py builds an async engine itself, so the URL handed to it needs an async driver.

    Read from env.py's code: a call to async_engine_from_config() or create_async_engine() (an unused import
    does not count). This repository's own env.py takes sync and async URLs alike.
    """
    try:
        source = env_script(config).read_text(encoding="utf-8", errors="replace")
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError):
        return False
    if "schema_tools.environment" in source:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in _ASYNC_ENGINE_FACTORIES:
                return True
    return False


def url_for_env(url: URL, *, asynchronous: bool, timeout: float) -> URL:
    """`url` with the driver env.py needs (sync or async) and a connect timeout the driver understands."""
    if asynchronous:
        driver = backend_of(url).async_drivers.get(url.drivername)
        chosen = url.set(drivername=driver) if driver else url
    else:
        chosen = sync_url(url)
    parameter = backend_of(chosen).timeout_parameters.get(chosen.get_driver_name())
    if parameter and parameter not in chosen.query:
        chosen = chosen.update_query_dict({parameter: str(max(1, round(timeout)))})
    return chosen


@contextmanager
def _main_option(config: Config, rendered: str) -> Iterator[None]:
    """sqlalchemy.url set to `rendered` in the config's main section, then restored (or removed) afterwards."""
    parser, section = config.file_config, config.config_ini_section
    old_url = parser.get(section, "sqlalchemy.url", raw=True) if parser.has_option(section, "sqlalchemy.url") else None
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    try:
        yield
    finally:
        if old_url is not None:
            parser.set(section, "sqlalchemy.url", old_url)
        else:
            parser.remove_option(section, "sqlalchemy.url")


@contextmanager
def _x_argument(config: Config, rendered: str) -> Iterator[None]:
    """`-x url=...` among the command's options, replacing any url= the caller gave, then restored."""
    if config.cmd_opts is None:
        config.cmd_opts = argparse.Namespace(x=[])
    old_x = list(getattr(config.cmd_opts, "x", None) or [])
    config.cmd_opts.x = [item for item in old_x if not item.startswith("url=")] + [f"url={rendered}"]
    try:
        yield
    finally:
        config.cmd_opts.x = old_x


@contextmanager
def _attributes(config: Config, rendered: str, connection: Connection | None) -> Iterator[None]:
    """config.attributes["url"] and ["connection"] (removed when there is none to share), then restored."""
    old = {key: config.attributes.get(key) for key in _HANDED_ATTRIBUTES}
    config.attributes["url"] = rendered
    if connection is not None:
        config.attributes["connection"] = connection
    else:
        config.attributes.pop("connection", None)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                config.attributes.pop(key, None)
            else:
                config.attributes[key] = value


@contextmanager
def _environment_variable(name: str, rendered: str) -> Iterator[None]:
    """$name set to `rendered`, then restored (or unset) afterwards."""
    old = os.environ.get(name)
    os.environ[name] = rendered
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


@contextmanager
def handed_over(config: Config, url: URL, connection: Connection | None) -> Iterator[None]:
    """Give env.py the URL every way env.py files read it, and take it all back afterwards."""
    project = project_of(config)
    handed = url_for_env(url, asynchronous=env_is_async(config), timeout=project.connect_timeout)
    rendered = handed.render_as_string(hide_password=False)
    with (
        _main_option(config, rendered),
        _x_argument(config, rendered),
        _attributes(config, rendered, connection),
        _environment_variable(project.url_env, rendered),
    ):
        yield
