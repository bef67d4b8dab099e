"""Try it: top-k predictions for any text."""

from __future__ import annotations

import numpy as np
import pytest

from sftgui.errors import UserError


def test_predictions_are_the_models_probabilities(ws, version, trained):
    from sftgui.core.tasks.text_classification.predict import predict_proba
    from sftgui.core.predict import predict_texts

    texts = ["my card was charged twice", "password reset please", "parcel lost by the courier"]
    out = predict_texts(ws, version, texts)
    probs = predict_proba(*trained, texts)
    assert [o["text"] for o in out] == texts
    assert [o["label"] for o in out] == ["billing", "login", "shipping"]
    for o, p in zip(out, probs):
        assert list(o["scores"]) == sorted(o["scores"], key=o["scores"].get, reverse=True)
        np.testing.assert_allclose([o["scores"][x] for x in version.labels], p, atol=1e-6)
        assert sum(o["scores"].values()) == pytest.approx(1.0)


def test_top_k_and_bad_input(ws, version):
    from sftgui.core.predict import predict_texts

    (one,) = predict_texts(ws, version, ["refund my money"], top_k=2)
    assert len(one["scores"]) == 2 and next(iter(one["scores"])) == one["label"]
    with pytest.raises(UserError):
        predict_texts(ws, version, [])
    with pytest.raises(UserError):
        predict_texts(ws, version, ["  "])
    with pytest.raises(UserError):
        predict_texts(ws, version, ["x"], top_k=0)


def test_the_loaded_model_is_kept_per_version(ws, version, second_version):
    from sftgui.core.predict import forget_loaded, loaded_version

    forget_loaded()
    first = loaded_version(ws, version)
    assert loaded_version(ws, version) is first
    assert loaded_version(ws, second_version) is not first
    forget_loaded(version.id)
    assert loaded_version(ws, version) is not first
