from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def trained_dir(tmp_path_factory):
    """A tiny BERT folder trained on the keyword rows (labels billing/login/shipping)."""
    from tests.core.evaluation.keywords import train_tiny

    return train_tiny(tmp_path_factory.mktemp("trained-tiny"))


@pytest.fixture(scope="session")
def trained(trained_dir):
    """(model, tokenizer) of `trained_dir`, loaded once."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    return AutoModelForSequenceClassification.from_pretrained(trained_dir).eval(), AutoTokenizer.from_pretrained(trained_dir)


@pytest.fixture
def project(ws):
    """Project "tickets": 300 keyword rows (15% given a wrong label) frozen into a snapshot."""
    from tests.core.evaluation.keywords import new_project

    return new_project(ws)


@pytest.fixture
def version(ws, project, trained):
    """v1 of "tickets": the trained tiny model registered on the project's snapshot."""
    from tests.core.evaluation.keywords import register_on_last_snapshot

    return register_on_last_snapshot(ws, project, *trained)


@pytest.fixture
def second_version(ws, project, version, trained):
    """v2: v1 pushed towards "login", on a later snapshot, from a run with a loss curve."""
    from tests.core.evaluation.keywords import register_pushed

    return register_pushed(ws, project, version, *trained)
