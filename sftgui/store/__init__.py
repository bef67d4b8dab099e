"""Storage layer: SQLite through peewee plus a content-addressed blob store. No Qt here."""
