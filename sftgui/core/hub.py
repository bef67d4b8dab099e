"""Downloading a model from the Hugging Face hub into its cache (no Qt here: the GUI and the CLI share it).

Only safetensors weights and the config / tokenizer files are fetched (`ALLOW_PATTERNS`), never
pickle weights or Python files, and the downloaded folder then goes through the same safety
checks as a folder the user adds (`catalog.check_model_folder`: custom code is refused, a model
with only pickle weights ends up with no weights and is refused with the reason).

Offline (HF_HUB_OFFLINE=1, or the hub cannot be reached) raises `HubOffline`, a UserError whose
`model_id` the caller can use for its own sentence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from sftgui.core import catalog
from sftgui.errors import UserError

ALLOW_PATTERNS = [
    "*.safetensors",
    "*.safetensors.index.json",
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "added_tokens.json",
    "sentencepiece.bpe.model",
    "spiece.model",
    "tokenizer.model",
    "README.md",
]


class HubOffline(UserError):
    """The hub cannot be reached (offline mode or no network)."""

    def __init__(self, model_id: str):
        self.model_id = model_id
        super().__init__(f"You are offline: {model_id} can't be downloaded; models already in the Hugging Face "
                         "cache can still be used.")


class DownloadCancelled(UserError):
    def __init__(self, model_id: str):
        super().__init__(f"The download of {model_id} was cancelled.")


def unreachable(exc: BaseException) -> bool:
    """Whether a hub error means the hub could not be reached (no network), rather than a bad name."""
    from huggingface_hub.errors import LocalEntryNotFoundError

    # LocalEntryNotFoundError: the hub could not be reached and nothing is cached.
    return isinstance(exc, LocalEntryNotFoundError) or type(exc).__name__ in (
        "ConnectionError", "ConnectError", "ConnectTimeout", "Timeout")


def _bar_class(model_id: str, progress: Callable | None, cancelled: Callable | None):
    """A tqdm class for snapshot_download that forwards progress and stops when cancelled."""
    from tqdm.auto import tqdm

    class Bar(tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = True  # nothing on the terminal; we count ourselves
            super().__init__(*args, **kwargs)
            self._done = 0

        def update(self, n=1):
            if cancelled is not None and cancelled():
                raise DownloadCancelled(model_id)
            self._done += n or 0
            if progress is not None and self.total:
                progress(min(self._done / self.total, 1.0), f"Downloading {model_id}")
            return super().update(n)

    return Bar


def download_model(model_id: str, *, progress: Callable | None = None, cancelled: Callable | None = None) -> Path:
    """Download `model_id` (safetensors + config/tokenizer files) into the HF cache and check it.

    `progress(fraction, message)` is called as files arrive; `cancelled()` returning True stops the
    download at the next progress step (raises DownloadCancelled). Returns the checked folder.
    """
    model_id = (model_id or "").strip()
    if not model_id:
        raise UserError("Type a Hugging Face model id first, e.g. distilbert-base-uncased.")
    if catalog.hub_offline():
        raise HubOffline(model_id)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

    if progress is not None:
        progress(0.0, f"Connecting to the Hugging Face hub for {model_id}")
    try:
        folder = Path(snapshot_download(model_id, allow_patterns=ALLOW_PATTERNS,
                                        tqdm_class=_bar_class(model_id, progress, cancelled)))
    except (DownloadCancelled, UserError):
        raise
    except (RepositoryNotFoundError, GatedRepoError, RevisionNotFoundError):
        raise UserError(f"There is no public model called {model_id} on the Hugging Face hub (or it needs a "
                        "login); check the name.") from None
    except Exception as exc:  # noqa: BLE001 - network and hub errors become one sentence
        if unreachable(exc):
            raise HubOffline(model_id) from None
        raise UserError(f"Could not download {model_id} from the Hugging Face hub ({type(exc).__name__}); "
                        "check the name and your connection.") from None
    if cancelled is not None and cancelled():
        raise DownloadCancelled(model_id)
    if not any(folder.glob("*.safetensors")) and (folder / "config.json").is_file():
        raise UserError(f"{model_id} has no .safetensors weights on the hub (perhaps only pickle weights, "
                        "pytorch_model.bin, which can run code when loaded); sftgui only loads safetensors. "
                        "Choose another model.")
    catalog.check_model_folder(folder)
    if progress is not None:
        progress(1.0, f"Downloaded {model_id}")
    return folder
