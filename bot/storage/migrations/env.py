"""Alembic environment: the engine is handed over by `Database.migrate()` (no alembic.ini needed)."""

from alembic import context

from bot.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:  # plain `alembic` command line: build one from the settings
        from bot.settings import load_settings
        from bot.storage.db import make_engine

        engine = make_engine(load_settings().effective_database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # the engine's statement_timeout guards users' queries; an index build on a big store may take longer
                connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            context.run_migrations()
        connection.commit()


run_migrations_online()
