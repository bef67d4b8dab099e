from tests.core.evaluation.conftest import project, trained, trained_dir  # noqa: F401 - shared fixtures
