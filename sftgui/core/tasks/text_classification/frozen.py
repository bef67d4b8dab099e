"""The text classifier's frozen part: embeddings and the first N transformer layers (or all of them).

Their output — the hidden states entering layer N — is what `training/feature_cache.py` caches;
the rest of the model (the upper layers, the pooler, the head) trains on it. With every layer
frozen only the first position is kept: BERT-style heads pool the first token (the self-check in
feature_cache proves it for the model at hand, else the run trains the normal way)."""

from __future__ import annotations


def frozen_part(model, config):
    from sftgui.core.training.adapt import _layer_list
    from sftgui.core.training.feature_cache import LayerInputPart

    freeze = str(config.freeze)
    layers = _layer_list(model)
    embeddings = getattr(model.base_model, "embeddings", None)
    if layers is None or embeddings is None:
        return None
    from sftgui.config import top_layers

    if freeze == "all-but-head":
        n = len(layers)
    elif top_layers(freeze) is not None:
        n = max(0, len(layers) - top_layers(freeze))
    else:
        n = config.freeze_layers
    if n < 1:
        return None  # only the embeddings frozen: caching them saves next to nothing
    return LayerInputPart(model, embeddings, layers, n, input_name="input_ids", first_position_only=True)
