"""Command groups of the `sftgui` CLI; each module exposes `register(subparsers)`."""
