"""Persistence: SQLModel tables, the database engine and migrations, and the repository.

Functions here take the session as a keyword-only argument; nothing holds a
module-level engine or session.
"""
