"""Fixtures for the store tests: a project row and a tiny real model with its tokenizer."""

from __future__ import annotations

import pytest


@pytest.fixture
def project(ws):
    from sftgui.core.projects import create_project

    return create_project(ws, "tickets")


@pytest.fixture
def tiny(tiny_model_dir):
    """(model, tokenizer) of the tiny BERT, in eval mode, with freshly allocated weights.

    from_pretrained leaves some weights at unaligned addresses inside the loaded file, and CPU
    matmul rounds differently for those; a trained model's weights are ordinary allocations,
    so the tests compare against that.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir)
    model.load_state_dict({k: v.clone() for k, v in model.state_dict().items()}, assign=True)
    model.eval()
    return model, AutoTokenizer.from_pretrained(tiny_model_dir)


def logits(model, tokenizer, texts=("my order arrived late", "reset my password please", "app crash")):
    import torch

    batch = tokenizer(list(texts), return_tensors="pt", padding=True)
    with torch.no_grad():
        return model(**batch).logits
