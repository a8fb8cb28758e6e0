import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from core.db import make_engine
from core.models import Base
from core.partitions import include_name
from monitor.migrate import current_revision, head_revision, upgrade


@pytest.mark.parametrize("scratch_database_url", ["sqlite", "postgres"], indirect=True)
def test_upgrade_from_empty_matches_the_models(scratch_database_url):
    engine = make_engine(scratch_database_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        differences = compare_metadata(context, Base.metadata)
    # the same check as `alembic check`: models and migrations agree
    assert differences == []
    upgrade(engine)  # a second upgrade is a no-op
    assert current_revision(engine) == head_revision()
    engine.dispose()


@pytest.mark.parametrize("scratch_database_url", ["sqlite", "postgres"], indirect=True)
def test_downgrade_to_base_and_back(scratch_database_url):
    from alembic import command

    from monitor.migrate import alembic_config

    engine = make_engine(scratch_database_url)
    upgrade(engine)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert [t for t in inspect(engine).get_table_names() if t != "alembic_version"] == []
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()
