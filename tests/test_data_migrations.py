"""Seed rows and the stake data migration keep every row and value across upgrade, downgrade, upgrade."""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import command
from sqlalchemy.pool import NullPool

from schema_tools.settings import alembic_config

SEEDED = "5d6c6191eec0"
STAKE = "2aefc3d92de3"

# Configs as Freqtrade users write them: ints, floats, "unlimited", a missing key, no config at all.
BOT_CONFIGS = {
    "int-stake": {"stake_currency": "USDT", "stake_amount": 100, "dry_run": True},
    "float-stake": {"stake_currency": "BTC", "stake_amount": 0.05, "timeframe": "5m"},
    "unlimited": {"stake_currency": "USDT", "stake_amount": "unlimited"},
    "no-currency": {"stake_amount": 25.5},
    "empty": {},
    "null-config": None,
    "long-currency": {"stake_currency": "A_TOKEN_NAME_TOO_LONG", "stake_amount": 1},
}


def migrate(engine: sa.Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config(connection=engine)
    (command.downgrade if down else command.upgrade)(config, revision)


def bots_table(with_stake_columns: bool) -> sa.TableClause:
    columns = ["id", "name", "strategy_name", "exchange", "created_by", "config"]
    if with_stake_columns:
        columns += ["stake_currency", "stake_amount"]
    return sa.table("bots", *(sa.column(c) for c in columns))


def load(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def read_bots(engine: sa.Engine, with_stake_columns: bool) -> dict[str, dict[str, object]]:
    bots = bots_table(with_stake_columns)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(bots)).mappings().all()
    return {row["name"]: {**row, "config": load(row["config"])} for row in rows}


def test_seed_rows_are_added_removed_exactly_and_added_again(db_url: sa.URL) -> None:
    engine = sa.create_engine(db_url, poolclass=NullPool)
    migrate(engine, SEEDED)
    users = sa.table("users", sa.column("username"), sa.column("email"), sa.column("hashed_password"))
    with engine.begin() as connection:
        connection.execute(users.insert().values(username="alice", email="alice@example.org", hashed_password="x"))

    def usernames() -> set[str]:
        with engine.connect() as connection:
            return set(connection.execute(sa.select(users.c.username)).scalars())

    assert usernames() == {"admin", "trader", "alice"}
    migrate(engine, "-1", down=True)
    assert usernames() == {"alice"}, "the downgrade deletes the seed rows and nothing else"
    migrate(engine, SEEDED)
    assert usernames() == {"admin", "trader", "alice"}
    with engine.connect() as connection:
        admin = connection.execute(sa.text("SELECT is_superuser, hashed_password FROM users WHERE username='admin'"))
        is_superuser, password = admin.one()
    assert bool(is_superuser) is True and password == "!"
    engine.dispose()


def test_stake_settings_move_to_columns_and_back_keeping_every_value(db_url: sa.URL) -> None:
    engine = sa.create_engine(db_url, poolclass=NullPool)
    migrate(engine, SEEDED)
    with engine.begin() as connection:
        admin = connection.execute(sa.text("SELECT id FROM users WHERE username = 'admin'")).scalar_one()
        bots = sa.Table(
            "bots", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String),
            sa.Column("strategy_name", sa.String), sa.Column("exchange", sa.String),
            sa.Column("created_by", sa.Integer), sa.Column("config", sa.JSON(none_as_null=True)),
        )  # fmt: skip
        for name, config in BOT_CONFIGS.items():
            connection.execute(
                bots.insert().values(
                    name=name, strategy_name="SampleStrategy", exchange="binance", created_by=admin, config=config
                )
            )
    original = read_bots(engine, with_stake_columns=False)

    migrate(engine, STAKE)
    moved = read_bots(engine, with_stake_columns=True)
    assert moved["int-stake"]["stake_currency"] == "USDT" and moved["int-stake"]["stake_amount"] == 100
    assert moved["int-stake"]["config"] == {"dry_run": True}
    assert moved["float-stake"]["stake_amount"] == 0.05 and moved["float-stake"]["config"] == {"timeframe": "5m"}
    # A value the column cannot hold stays in config, untouched.
    assert moved["unlimited"]["stake_amount"] is None
    assert moved["unlimited"]["config"] == {"stake_amount": "unlimited"}
    assert moved["long-currency"]["stake_currency"] is None
    assert moved["long-currency"]["config"] == {"stake_currency": "A_TOKEN_NAME_TOO_LONG"}
    assert moved["no-currency"]["stake_currency"] is None and moved["no-currency"]["stake_amount"] == 25.5
    assert moved["null-config"]["config"] is None and moved["empty"]["config"] == {}

    migrate(engine, SEEDED, down=True)
    restored = read_bots(engine, with_stake_columns=False)
    assert restored == original, "every config is back as it was, key for key and value for value"

    migrate(engine, STAKE)
    assert read_bots(engine, with_stake_columns=True) == moved
    engine.dispose()
