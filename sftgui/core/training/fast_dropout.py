"""Dropout with a cheaper random mask, for training on the CPU.

PyTorch's CPU dropout draws one Mersenne-Twister number per element (`bernoulli_`): about 8 ns
each, so the dropouts of the bundled model took a fifth of every bf16 training step on this
project's 2-core machine (profiled: `aten::bernoulli_` 21% of the CPU time, more than the attention
matrix multiplies); two thirds of it inside scaled_dot_product_attention's dropout on the attention
probabilities, the rest in the 13 `nn.Dropout` modules. Both get the cheaper mask here: the modules
are swapped for FastDropout, and the attention runs through `cpu_attention`, the same arithmetic as
SDPA's own CPU path (the fused CPU flash kernel trains slower here) with the cheaper mask. Here one 64-bit draw gives three 16-bit uniform numbers, and the mask
keeps an element when its number is at or above p * 65536. Same distribution as `nn.Dropout`
(p rounded to 1/65536), same scaling by 1 / (1 - p), same global torch generator, so `set_seed`
and the Trainer's saved RNG state make runs and resumed runs repeat exactly. A no-op in eval mode.
On CUDA the native dropout is already fast (Philox), so the model is left as it is there.
"""

from __future__ import annotations

import torch
from torch import nn

_LEVELS = 1 << 16


def keep_mask(shape: torch.Size, p: float, device=None) -> torch.Tensor:
    """A bool mask, True with probability 1 - p (to 1/65536)."""
    n = 1
    for d in shape:
        n *= int(d)
    # random_() on int64 fills [0, 2**63 - 1]: the top 16 bits of each word are not uniform, so
    # only the lower three 16-bit parts are used.
    words = torch.empty((n + 2) // 3, dtype=torch.int64, device=device).random_()
    parts = words.view(torch.int16).view(-1, 4)[:, :3].reshape(-1)[:n]
    threshold = -(_LEVELS // 2) + round(p * _LEVELS)
    return (parts >= threshold).view(shape)


class _MaskedScale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, mask, scale):
        ctx.save_for_backward(mask)  # one byte per element, like nn.Dropout's own mask
        ctx.scale = scale
        return x.masked_fill(~mask, 0) * scale

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return grad.masked_fill(~mask, 0) * ctx.scale, None, None


class FastDropout(nn.Module):
    def __init__(self, p: float):
        super().__init__()
        self.p = float(p)  # read by attention code that passes dropout_p to scaled_dot_product_attention

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p <= 0.0:
            return x
        if self.p >= 1.0:
            return torch.zeros_like(x)
        return dropout(x, self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def dropout(x: torch.Tensor, p: float) -> torch.Tensor:
    return _MaskedScale.apply(x, keep_mask(x.shape, p, x.device), 1.0 / (1.0 - p))


def math_attention(query, key, value, attention_mask, scaling: float | None, p: float) -> torch.Tensor:
    """softmax(q k^T * scaling + mask) v with dropout p on the probabilities; (batch, heads, tokens,
    dim) in, (batch, tokens, heads, dim) out, as the Transformers attention functions return it."""
    scale = scaling if scaling is not None else query.size(-1) ** -0.5
    scores = torch.matmul(query, key.transpose(-2, -1)) * scale
    if attention_mask is not None:
        if attention_mask.dtype == torch.bool:  # True = attend (the sdpa mask format)
            scores = scores.masked_fill(~attention_mask, torch.finfo(scores.dtype).min)
        else:
            scores = scores + attention_mask
    probs = torch.softmax(scores, dim=-1)
    if p > 0.0:
        probs = dropout(probs, p)
    out = torch.matmul(probs.to(value.dtype), value)
    return out.transpose(1, 2).contiguous()


def cpu_attention(module, query, key, value, attention_mask, dropout: float = 0.0, scaling=None, **kwargs):
    """An attention function for the Transformers AttentionInterface: SDPA, except when training
    with attention dropout, where `math_attention` draws the cheaper mask."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    plain = (getattr(module, "is_causal", False) or getattr(module, "num_key_value_groups", 1) > 1
             or kwargs.get("position_bias") is not None or kwargs.get("softcap") is not None)
    if not module.training or dropout <= 0.0 or plain:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout,
                                      scaling=scaling, **kwargs)
    return math_attention(query, key, value, attention_mask, scaling, dropout), None


ATTENTION = "sftgui_cpu"


def _register_attention() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

    AttentionInterface.register(ATTENTION, cpu_attention)
    ALL_MASK_ATTENTION_FUNCTIONS.register(ATTENTION, sdpa_mask)  # it receives the masks sdpa would


def use_fast_dropout(model: nn.Module) -> list[str]:
    """Swap every `nn.Dropout` with p > 0 for FastDropout and, where the model runs on SDPA, its
    attention for `cpu_attention`, in place. Returns what was changed, for the run log."""
    swaps = [(parent, name, child.p) for parent in model.modules()
             for name, child in parent.named_children()
             if type(child) is nn.Dropout and child.p > 0]
    for parent, name, p in swaps:
        setattr(parent, name, FastDropout(p))
    changed = [f"{len(swaps)} dropout modules"] if swaps else []
    config = getattr(model, "config", None)
    if config is not None and getattr(config, "_attn_implementation", None) == "sdpa" \
            and hasattr(model, "set_attn_implementation") and model._can_set_attn_implementation():
        _register_attention()
        model.set_attn_implementation(ATTENTION)
        changed.append("attention dropout")
    return changed


def restore_attention(model: nn.Module) -> None:
    """Back to SDPA before the model is saved or handed on: the name above is ours alone."""
    config = getattr(model, "config", None)
    if config is not None and getattr(config, "_attn_implementation", None) == ATTENTION:
        model.set_attn_implementation("sdpa")
