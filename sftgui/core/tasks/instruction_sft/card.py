"""What the model card of an exported language model says (the task's part of README.md)."""

from __future__ import annotations


def card_sections(facts: dict) -> dict:
    m = facts.get("metrics") or {}
    fmt = facts.get("format", "hf")
    max_new = (facts.get("inference") or {}).get("max_new_tokens", 128)
    if fmt == "adapter":
        usage = ["```python",
                 "from peft import AutoPeftModelForCausalLM",
                 "from transformers import AutoTokenizer",
                 "model = AutoPeftModelForCausalLM.from_pretrained(\"path/to/this/folder\")  # needs the base model",
                 "tokenizer = AutoTokenizer.from_pretrained(\"path/to/this/folder\")", "```"]
    else:
        usage = ["```python",
                 "from transformers import AutoModelForCausalLM, AutoTokenizer",
                 "model = AutoModelForCausalLM.from_pretrained(\"path/to/this/folder\")",
                 "tokenizer = AutoTokenizer.from_pretrained(\"path/to/this/folder\")",
                 "ids = tokenizer.apply_chat_template([{\"role\": \"user\", \"content\": \"Hello\"}],",
                 "                                    add_generation_prompt=True, return_tensors=\"pt\", return_dict=True)",
                 f"out = model.generate(**ids, max_new_tokens={max_new}, do_sample=False)",
                 "print(tokenizer.decode(out[0][ids['input_ids'].shape[1]:], skip_special_tokens=True))", "```"]

    def num(key, pct=False):
        v = m.get(key)
        return "n/a" if v is None else (f"{v:.1%}" if pct else f"{v:.4g}")

    return {
        "pipeline_tag": "text-generation",
        "summary": "A causal language model instruction-tuned with sftgui"
                   + (" (the LoRA adapter only; load it on its base model)." if fmt == "adapter" else
                      " (LoRA adapters, if any, merged into the weights)."),
        "usage": usage,
        "inference": [f"Greedy decoding (do_sample=False), at most {max_new} new tokens, the tokenizer's chat "
                      "template with add_generation_prompt=True: this gives the same text as sftgui."],
        "evaluation": [f"- loss on the reference answers: {num('loss')}", f"- perplexity: {num('perplexity')}",
                       f"- exact answers: {num('exact_match', True)} of {m.get('examples', 'n/a')} held-out examples"],
        "limitations": ["A small language model can state wrong facts fluently; check its answers."],
    }
