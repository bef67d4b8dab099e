"""What part of the model learns: freezing (embeddings, the first N layers, all but the head) or LoRA."""

from __future__ import annotations

from sftgui.config import top_layers
from sftgui.errors import UserError


def _layer_list(model):
    """The transformer's stack of layers: the longest ModuleList inside the base model."""
    import torch

    best = None
    for module in model.base_model.modules():
        if isinstance(module, torch.nn.ModuleList) and (best is None or len(module) > len(best)):
            best = module
    return best


def apply_freeze(model, freeze: str) -> list[str]:
    """Turn off gradients for the chosen parts; returns the names of the frozen parameters."""
    if freeze in (None, "", "none"):
        return []
    base = model.base_model
    # text models call it `embeddings`; transformers' ResNet calls its stem `embedder`
    embeddings = getattr(base, "embeddings", None) or getattr(base, "embedder", None) or model.get_input_embeddings()
    modules = [embeddings]
    layers = _layer_list(model)
    n_layers = len(layers) if layers is not None else 0
    if freeze == "all-but-head":
        n = n_layers
    elif top_layers(freeze) is not None:
        n = max(0, n_layers - top_layers(freeze))
    elif str(freeze).isdigit():
        n = int(freeze)
        if n > n_layers:
            raise UserError(f"The model has {n_layers} layers, so it cannot freeze the first {n}.")
    else:
        n = 0
    if n:
        modules += list(layers[:n])
    frozen_ids = set()
    for module in modules:
        for p in module.parameters():
            p.requires_grad_(False)
            frozen_ids.add(id(p))
    return [name for name, p in model.named_parameters() if id(p) in frozen_ids]


def apply_lora(model, *, r: int, alpha: int, dropout: float, task_type):
    """Wrap the model with LoRA adapters (peft); `task_type` is the task's peft task type
    (`Task.lora_task_type()`: for a classifier peft then trains the head fully)."""
    from peft import LoraConfig, get_peft_model

    kind = task_type
    config = LoraConfig(task_type=kind, r=r, lora_alpha=alpha, lora_dropout=dropout)
    try:
        return get_peft_model(model, config)
    except ValueError:
        # peft has no default target layers for this architecture: adapt every linear layer.
        config = LoraConfig(task_type=kind, r=r, lora_alpha=alpha, lora_dropout=dropout,
                            target_modules="all-linear")
        return get_peft_model(model, config)


def merge_lora(model):
    """Fold the adapters into the weights so the version holds plain full weights."""
    if hasattr(model, "merge_and_unload"):
        return model.merge_and_unload()
    return model
