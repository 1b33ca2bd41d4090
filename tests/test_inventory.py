"""inventory(): table facts match the inspector's, and row counts match the data, on every backend."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlalchemy.pool import NullPool

from schema_tools.inventory import inventory
from schema_tools.settings import alembic_config, load_metadata


def test_inventory_of_a_live_database_matches_the_inspector_and_the_rows(db_url: sa.URL) -> None:
    engine = sa.create_engine(db_url, poolclass=NullPool)
    command.upgrade(alembic_config(connection=engine), "head")
    result = inventory(engine)
    inspector = sa.inspect(engine)
    expected_tables = sorted(set(inspector.get_table_names()) - {"alembic_version", "schema_tools_applied"})
    assert [t.name for t in result.tables] == expected_tables
    by_name = {t.name: t for t in result.tables}
    for name in expected_tables:
        assert by_name[name].columns == len(inspector.get_columns(name))
        referred = sorted({fk["referred_table"] for fk in inspector.get_foreign_keys(name)})
        assert list(by_name[name].references) == referred
    with engine.connect() as connection:
        users = connection.execute(sa.text("SELECT count(*) FROM users")).scalar_one()
    engine.dispose()
    assert by_name["users"].rows == users == 2
    assert set(by_name["users"].referenced_by) == {
        "audit_logs",
        "bots",
        "freqai_models",
        "hyperopt_results",
        "strategies",
        "strategy_backtest_results",
    }
    assert result.relationships == sum(len(t.references) for t in result.tables)


def test_inventory_of_models_has_no_row_counts() -> None:
    result = inventory("management_server.models:Base.metadata")
    assert {t.name for t in result.tables} == set(load_metadata().tables)
    assert all(t.rows is None for t in result.tables)
    assert "bots" in str(result) and "<table" in result._repr_html_()
