"""A tiny BERT model folder built from a config (a few thousand parameters) for fast tests.

It is a real transformers model and tokenizer saved with `save_pretrained`, so every code path
that loads "a model folder" runs on it exactly as on the bundled model.
"""

from __future__ import annotations

from pathlib import Path

WORDS = (
    "the a an and or not is are was be to of in on for with my your our this that it i you we they "
    "order refund money charge charged card payment bill billing invoice price paid pay "
    "login password account locked reset email sign access user profile "
    "app crash error bug broken slow screen button update install freeze "
    "delivery shipping package arrived late lost tracking parcel address courier "
    "good great bad terrible love hate happy sad fine ok thanks please help "
    "cat dog bird fish red blue green yellow one two three four five"
).split()


def make_tiny_model_dir(path: Path, *, num_labels: int = 2, seed: int = 0) -> Path:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *dict.fromkeys(WORDS)]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    # transformers 5 takes the vocabulary as `vocab=`; `vocab_file=` is silently ignored (every word -> [UNK])
    tokenizer = BertTokenizerFast(vocab=str(path / "vocab.txt"), do_lower_case=True)
    tokenizer.model_max_length = 64
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=num_labels,
    )
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
