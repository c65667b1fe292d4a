"""Persistence adapters: SQLAlchemy 2 Core tables, types, engine and query helpers."""
