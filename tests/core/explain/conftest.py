from tests.core.evaluation.conftest import project, trained, trained_dir, version  # noqa: F401 - shared fixtures
