"""Limits that input must keep to, whichever entry point it comes through."""

MAX_ID = 2_147_483_647  # PostgreSQL `integer`, the type of every id column
