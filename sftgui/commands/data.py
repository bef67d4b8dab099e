"""CLI commands: filled in by the feature that owns them (see shared/CLI.md)."""


def register(sub) -> None:
    pass
