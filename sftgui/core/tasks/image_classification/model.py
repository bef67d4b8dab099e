"""Image classifier models: any `AutoModelForImageClassification` folder (ResNet, ViT, ConvNeXt,
MobileNet, EfficientNet...) with a new head for the project's labels, its image processor, and
loading a version back. Versions keep the same files a text version keeps (config.json with the
label map, labels.json, the processor's files), so the shared helpers of text classification
write and grow them."""

from __future__ import annotations

from pathlib import Path

from sftgui.errors import UserError

_DROPOUT_KEYS = ("dropout_rate", "hidden_dropout_prob", "classifier_dropout_prob", "drop_connect_rate",
                 "attention_probs_dropout_prob", "drop_path_rate")


def load_processor(model_dir: Path):
    from transformers import AutoImageProcessor

    model_dir = Path(model_dir)
    check_is_image_model(model_dir)
    if not (model_dir / "preprocessor_config.json").is_file():
        raise UserError(f"The model in {model_dir} has no image processor (preprocessor_config.json), so sftgui "
                        "cannot know how to resize and normalise pictures for it; choose an image model folder.")
    with _quiet():
        return AutoImageProcessor.from_pretrained(str(model_dir), trust_remote_code=False)


def check_is_image_model(model_dir: Path) -> None:
    import json

    try:
        config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError(f"The config.json in {model_dir} cannot be read; the folder looks damaged.") from None
    from transformers.models.auto.modeling_auto import MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES

    if config.get("model_type") not in MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES:
        raise UserError(f"The model in {model_dir} ({config.get('model_type')}) is not an image model; choose a "
                        "ResNet, ViT, ConvNeXt, MobileNet or EfficientNet folder.")


def load_model(model_dir: Path, labels: list[str], *, parent_labels=None, dropout=None):
    """An image classifier with one output per label: a new head from a base model (its own
    head, e.g. ImageNet's 1000 classes, is replaced), the trained head grown by new labels from a version."""
    from transformers import AutoConfig, AutoModelForImageClassification

    from sftgui.core.tasks.text_classification.model import grow_head

    config = AutoConfig.from_pretrained(str(model_dir), trust_remote_code=False)
    overrides = {k: dropout for k in _DROPOUT_KEYS if dropout is not None and hasattr(config, k)}
    start = list(parent_labels or labels)
    with _quiet():
        model = AutoModelForImageClassification.from_pretrained(
            str(model_dir), num_labels=len(start), id2label=dict(enumerate(start)),
            label2id={lab: i for i, lab in enumerate(start)},
            ignore_mismatched_sizes=not parent_labels, use_safetensors=True, trust_remote_code=False, **overrides)
    if len(labels) > len(start):
        grow_head(model, labels)
    model.config.problem_type = "single_label_classification"
    return model


def load_version(folder: Path, state: dict):
    """(model, image processor) in eval mode on the CPU, every weight assigned from `state`."""
    import transformers
    from transformers.initialization import no_init_weights

    folder = Path(folder)
    config = transformers.AutoConfig.from_pretrained(str(folder))
    processor = load_processor(folder)
    cls = getattr(transformers, (config.architectures or ["AutoModelForImageClassification"])[0])
    with no_init_weights():
        model = cls._from_config(config) if cls.__name__.startswith("Auto") else cls(config)
    model.load_state_dict(state, strict=True, assign=True)
    model.eval()
    return model, processor


class _quiet:
    """transformers' load report ("classifier newly initialised", slow-processor fallback) is expected here."""

    def __enter__(self):
        import warnings

        from transformers.utils import logging as hf_logging

        self.level = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        self.warnings = warnings.catch_warnings()
        self.warnings.__enter__()
        warnings.simplefilter("ignore")
        return self

    def __exit__(self, *exc):
        from transformers.utils import logging as hf_logging

        self.warnings.__exit__(*exc)
        hf_logging.set_verbosity(self.level)
        return False
