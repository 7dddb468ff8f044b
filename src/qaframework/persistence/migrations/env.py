"""Alembic environment: runs migrations on the engine handed over by qaframework.

``qaframework.persistence.database.migrate`` passes its engine in ``config.attributes``;
no URL is read here, so the same migrations run on SQLite and PostgreSQL.
"""

from alembic import context
from sqlmodel import SQLModel

from qaframework.persistence import learning_tables, paper_tables, tables, yearly_report_tables  # noqa: F401 - registers the tables' metadata

config = context.config
engine = config.attributes["engine"]

#: Any constant shared by every qaframework process: serialises concurrent upgrades.
MIGRATION_LOCK_ID = 0x51AF_0001

with engine.begin() as connection:
    # Two processes may start from an empty database at once (two `qaf plan` runs, a
    # worker and the CLI). Take the database's write lock before reading the schema
    # version, so the second waits and then finds nothing left to do.
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
