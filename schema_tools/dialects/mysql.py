"""MySQL and MariaDB: one backend, non-transactional DDL, 64-character identifiers, mysqldump backups."""

from __future__ import annotations

from typing import ClassVar

from .base import Backend


class MySQL(Backend):
    """MySQL or MariaDB through PyMySQL (aiomysql or asyncmy for async env.py files)."""

    name = "mysql"
    label = "MySQL/MariaDB"
    dialect_names = frozenset({"mysql", "mariadb"})
    identifier_limit = 64
    supported = True
    sync_drivers: ClassVar[dict[str, str]] = {"mysql": "mysql+pymysql", "mariadb": "mariadb+pymysql"}
    async_drivers: ClassVar[dict[str, str]] = {
        "mysql": "mysql+aiomysql",
        "mysql+pymysql": "mysql+aiomysql",
        "mariadb": "mariadb+aiomysql",
        "mariadb+pymysql": "mariadb+aiomysql",
    }
    sync_of_async: ClassVar[dict[str, str]] = {
        "mysql+aiomysql": "mysql+pymysql",
        "mysql+asyncmy": "mysql+pymysql",
        "mariadb+aiomysql": "mariadb+pymysql",
        "mariadb+asyncmy": "mariadb+pymysql",
    }
