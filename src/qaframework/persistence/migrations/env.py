"""Alembic environment: runs migrations on the engine handed over by qaframework.

``qaframework.persistence.database.migrate`` passes its engine in ``config.attributes``;
no URL is read here, so the same migrations run on SQLite and PostgreSQL.
"""

from alembic import context
from sqlmodel import SQLModel

from qaframework.persistence import tables  # noqa: F401 - registers the tables' metadata

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
