"""A tiny Llama-style causal LM folder built from a config, with a word-level tokenizer built
offline and a ChatML chat template: a real transformers model for the instruction-tuning tests."""

from __future__ import annotations

from pathlib import Path

from tests.tiny import WORDS

SPECIALS = ["<unk>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
EXTRA = ("hi there , . ! ? : - — the support team answer yes no positive negative neutral what is say "
         "reply word count colour sky grass sun night").split()
CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] "
          "+ '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
          "{% endif %}")


def make_tiny_lm_dir(path: Path, *, seed: int = 0, hidden: int = 32) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    words = list(dict.fromkeys([*WORDS, *EXTRA, "user", "assistant", "system"]))
    vocab = {tok: i for i, tok in enumerate([*SPECIALS, *words])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    # words and each punctuation mark are tokens; spaces and newlines separate them
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", eos_token="<|im_end|>",
                                        bos_token="<|im_start|>", pad_token="<|endoftext|>")
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tokenizer.chat_template = CHATML
    tokenizer.model_max_length = 128
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=hidden, intermediate_size=2 * hidden,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                         max_position_embeddings=128, bos_token_id=vocab["<|im_start|>"],
                         eos_token_id=vocab["<|im_end|>"], pad_token_id=vocab["<|endoftext|>"],
                         tie_word_embeddings=True)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.eos_token_id = vocab["<|im_end|>"]
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def house_style_rows(n: int = 48) -> list[dict]:
    """Prompt/response rows in one checkable style: every answer starts "hi there ," and ends
    "— the support team ."; the word in between repeats the prompt's last word."""
    topics = ["refund", "login", "delivery", "password", "invoice", "crash", "parcel", "account"]
    colours, numbers = ["red", "blue", "green", "yellow"], ["one", "two", "three", "four", "five"]
    rows = []
    for i in range(n):  # every prompt is different (a test prompt is never one trained on)
        topic = topics[i % len(topics)]
        extra = f"{colours[(i // 8) % 4]} {numbers[(i // 32) % 5]}"
        rows.append({"prompt": f"help with my {topic} please {extra}",
                     "response": f"hi there , {topic} — the support team ."})
    return rows
