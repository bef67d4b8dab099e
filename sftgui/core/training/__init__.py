"""The training engine: `engine.run(config, sink, cancel) -> RunResult` (no Qt)."""
