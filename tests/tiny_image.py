"""A tiny ResNet image classifier folder built from a config (a few thousand parameters) and
small image folders drawn with Pillow, for fast image-classification tests."""

from __future__ import annotations

from pathlib import Path


def make_tiny_image_model_dir(path: Path, *, num_labels: int = 3, seed: int = 0, side: int = 32) -> Path:
    import torch
    from transformers import ResNetConfig, ResNetForImageClassification
    from transformers.models.vit.image_processing_pil_vit import ViTImageProcessorPil

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    config = ResNetConfig(hidden_sizes=[8, 16], depths=[1, 1], embedding_size=8, num_labels=num_labels,
                          layer_type="basic", downsample_in_first_stage=False)
    torch.manual_seed(seed)
    ResNetForImageClassification(config).save_pretrained(path)
    ViTImageProcessorPil(size={"height": side, "width": side}, image_mean=[0.5] * 3, image_std=[0.5] * 3).save_pretrained(path)
    return path


def make_shapes_folder(path: Path, *, per_class: int = 12, seed: int = 3) -> Path:
    from sftgui.core.tasks.image_classification.sample import make

    make(Path(path), per_class=per_class, seed=seed)
    return Path(path)
