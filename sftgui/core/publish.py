"""Publish a version to MLflow: its run to tracking, its model to the registry, its aliases mirrored.

MLflow is an optional extra (`pip install 'sftgui[mlflow]'`): it is imported inside the functions
that need it, and its absence is a plain sentence, not a traceback.

What lands in MLflow for version `P@vN`:
- a run (experiment = the registered model's name) with the version's settings as parameters, the
  training curves as metric series (step by step), the final metrics, and the model card;
- a model version of the registered model (default name: the project's), logged with MLflow's
  transformers flavour from the same Hugging Face folder `sftgui export` writes, tagged with
  `sftgui.version` and `sftgui.manifest` (the sha256 of the version's manifest: which weights);
- MLflow aliases set where sftgui's aliases point, for the versions published there.
Publishing the same version again reuses its model version and only mirrors the aliases.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sftgui.errors import UserError

INSTALL_HINT = "Publishing to MLflow needs the mlflow package; install it with: pip install 'sftgui[mlflow]'."
TAG_VERSION, TAG_MANIFEST = "sftgui.version", "sftgui.manifest"
_BATCH = 1000  # metrics per log_batch call (MLflow's own limit)


@dataclass(frozen=True)
class Published:
    version: str  # sftgui's P@vN
    name: str  # the registered model
    model_version: str  # MLflow's version number of it
    run_id: str
    reused: bool  # already published: nothing new logged
    aliases: dict = field(default_factory=dict)  # alias -> MLflow version set by this call
    skipped: dict = field(default_factory=dict)  # alias -> sentence why it was left as it was


def _mlflow():
    try:
        import mlflow
        import mlflow.transformers  # noqa: F401 - the flavour is a sub-module
    except ImportError:
        raise UserError(INSTALL_HINT) from None
    return mlflow


@contextlib.contextmanager
def _quiet():
    """MLflow prints "View run at ..." and progress bars on stdout; `--json` owns stdout."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    with contextlib.redirect_stdout(sys.stderr):
        yield


def client_for(uri: str):
    """An MlflowClient on `uri` (a server URL or a database URI such as sqlite:///mlflow.db)."""
    mlflow = _mlflow()
    if not uri or not str(uri).strip():
        raise UserError("Name the MLflow tracking server with --mlflow URI, e.g. http://127.0.0.1:5000.")
    uri = str(uri).strip()
    if uri.startswith(("http://", "https://")):
        _check_reachable(uri)
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def _check_reachable(uri: str, timeout: float = 10.0) -> None:
    """One quick request first: MLflow's own client retries a dead server for minutes."""
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout).close()
    except urllib.error.HTTPError:
        return  # it answers (a proxy may not route /health): let MLflow's own calls say more
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or type(exc).__name__
        raise UserError(f"Could not reach MLflow at {uri} ({reason}); is the server running?") from None


def _key(name: str) -> str:
    """MLflow keys allow letters, digits, _ - . space and /; labels may hold anything else."""
    return re.sub(r"[^\w\-. /]", "_", str(name))[:250]


def flatten(obj, prefix: str = "") -> dict:
    """{"a": {"b": 1}} -> {"a.b": 1}; lists and other values stay whole."""
    out = {}
    for k, v in (obj or {}).items():
        key = f"{prefix}{_key(k)}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _numbers(flat: dict) -> dict[str, float]:
    return {k: float(v) for k, v in flat.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


# -- what is already in the registry ---------------------------------------------------------
def published(client, name: str) -> dict[str, object]:
    """(sftgui ref, manifest) -> the MLflow ModelVersion holding it, for the registered model `name`."""
    found = client.search_model_versions(f"name = '{_quote(name)}'")
    out = {}
    for mv in sorted(found, key=lambda m: int(m.version)):
        ref = (mv.tags or {}).get(TAG_VERSION)
        if ref:
            out.setdefault((ref, (mv.tags or {}).get(TAG_MANIFEST)), mv)
    return out


def find_published(client, name: str, version):
    """The MLflow model version holding exactly this version's weights, or None."""
    return published(client, name).get((version.ref, version.manifest_blob))


def _quote(name: str) -> str:
    return str(name).replace("'", "\\'")


def _reason(exc) -> str:
    text = str(getattr(exc, "message", exc)).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


@contextlib.contextmanager
def _talking_to(uri: str):
    """A server that cannot be reached is bad input (exit 2), not a crash."""
    _mlflow()  # without the extra: the sentence saying how to install it
    from mlflow.exceptions import MlflowException
    from requests.exceptions import RequestException  # MLflow's REST client is requests

    try:
        yield
    except UserError:
        raise
    except MlflowException as exc:
        raise UserError(f"MLflow at {uri} refused the request ({_reason(exc)}).") from None
    except (ConnectionError, RequestException) as exc:
        raise UserError(f"Could not reach MLflow at {uri} ({type(exc).__name__}); is the server running?") from None


# -- publish ----------------------------------------------------------------------------------
def publish_version(ws, version, uri: str, *, name: str | None = None, aliases=None, progress=None) -> Published:
    """Log `version`'s run and register its model under `name` (default: the project), then mirror
    sftgui's aliases (all of the project's, or only those named in `aliases`)."""
    if version.damaged:
        raise UserError(f"{version.ref} is damaged ({version.damaged}); run 'sftgui verify' before publishing it.")
    name = name or version.project_name
    tell = progress or (lambda fraction, message: None)
    with _quiet(), _talking_to(uri):
        client = client_for(uri)
        existing = find_published(client, name, version)
        if existing is not None:
            tell(0.9, f"{version.ref} is already MLflow version {existing.version} of {name}")
            mirrored, skipped = mirror_aliases(ws, version.project_name, client, name, only=aliases)
            return Published(version.ref, name, str(existing.version), existing.run_id, True, mirrored, skipped)
        with tempfile.TemporaryDirectory(prefix="sftgui-publish-") as tmp:
            folder = _export_folder(ws, version, Path(tmp) / "model", tell)
            tell(0.5, "Logging the run")
            run_id = _log_run(client, name, version, folder)
            tell(0.7, "Registering the model")
            mv = _register(client, uri, name, version, folder, run_id)
        tell(0.95, "Mirroring the aliases")
        mirrored, skipped = mirror_aliases(ws, version.project_name, client, name, only=aliases)
    tell(1.0, f"Published {version.ref} as MLflow version {mv.version} of {name}")
    return Published(version.ref, name, str(mv.version), run_id, False, mirrored, skipped)


def _export_folder(ws, version, dest: Path, tell) -> Path:
    """The Hugging Face folder `sftgui export` writes (weights checked, model card, manifest)."""
    from sftgui.core.export import export_version

    return export_version(ws, version, dest, fmt="hf",
                          progress=lambda f, message: tell(0.05 + 0.4 * f, message))


def _log_run(client, name: str, version, folder: Path) -> str:
    """A tracking run with the settings, the curves and the final metrics; returns its id."""
    from mlflow.entities import Metric, Param, RunTag

    from sftgui.store import runs_repo

    experiment = client.get_experiment_by_name(name)
    experiment_id = experiment.experiment_id if experiment else client.create_experiment(name)
    tags = {TAG_VERSION: version.ref, TAG_MANIFEST: version.manifest_blob, "mlflow.runName": version.ref,
            "sftgui.base_model": version.base_model, "sftgui.labels": ", ".join(version.labels)}
    if version.snapshot_id is not None:
        tags["sftgui.snapshot"] = str(version.snapshot_id)
    run = client.create_run(experiment_id, run_name=version.ref, tags=tags)
    run_id = run.info.run_id
    params = [Param(k, str(v)[:6000]) for k, v in flatten(version.config).items()]
    # metric points carry steps, not wall times; MLflow orders a series by step anyway
    at = _millis(version.created_at)
    metrics = [Metric(_key(p.name), float(p.value), at, int(p.step))
               for p in (runs_repo.metric_points(version.run_id) if version.run_id is not None else ())]
    last_step = max((m.step for m in metrics), default=0)
    for k, v in _numbers(flatten(version.metrics)).items():
        metrics.append(Metric(k, v, at, last_step))
    client.log_batch(run_id, params=params)
    for start in range(0, len(metrics), _BATCH):
        client.log_batch(run_id, metrics=metrics[start : start + _BATCH])
    client.log_artifact(run_id, str(folder / "README.md"), artifact_path="model_card")
    client.set_terminated(run_id, "FINISHED")
    return run_id


def _millis(iso: str | None) -> int:
    import datetime

    try:
        return int(datetime.datetime.fromisoformat(str(iso)).timestamp() * 1000)
    except ValueError:
        return int(datetime.datetime.now().timestamp() * 1000)


def _register(client, uri: str, name: str, version, folder: Path, run_id: str):
    """Log the model with the transformers flavour into the run and register it under `name`."""
    import mlflow
    from transformers.utils import logging as hf_logging

    from sftgui.core.tasks import task_of

    hf_logging.disable_progress_bar()
    # the task's pipeline reads each input as sftgui does (pyfunc's model_config asks on every predict)
    pipe, flavour_task, model_config = task_of(version).publish_pipeline(folder, version.config)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    with mlflow.start_run(run_id=run_id):
        info = mlflow.transformers.log_model(
            transformers_model=pipe, name="model", task=flavour_task, registered_model_name=name,
            model_config=model_config,
            pip_requirements=_requirements(), await_registration_for=60)
    mv_number = info.registered_model_version
    client.set_model_version_tag(name, mv_number, TAG_VERSION, version.ref)
    client.set_model_version_tag(name, mv_number, TAG_MANIFEST, version.manifest_blob)
    card = (folder / "README.md").read_text(encoding="utf-8")
    client.update_model_version(name, mv_number, description=_summary(version, card))
    return client.get_model_version(name, mv_number)


def _summary(version, card: str) -> str:
    m = version.metrics or {}
    bits = [f"sftgui {version.ref}, trained from {version.base_model}"]
    if m.get("accuracy") is not None:
        bits.append(f"test accuracy {m['accuracy']:.1%}, macro F1 {m.get('macro_f1', 0):.3f}")
    return "; ".join(bits) + ". The full model card is in the run's model_card/README.md.\n"


def _requirements() -> list[str]:
    """Pinned to what trained it; given explicitly, so MLflow need not load the model to infer them."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    out = []
    for dist in ("mlflow", "transformers", "torch", "tokenizers", "safetensors"):
        try:
            out.append(f"{dist}=={dist_version(dist).split('+')[0]}")
        except PackageNotFoundError:
            pass
    return out


# -- aliases ----------------------------------------------------------------------------------
def mirror_aliases(ws, project, client, name: str, *, only=None) -> tuple[dict, dict]:
    """Point MLflow's aliases of `name` where sftgui's aliases of `project` point, for versions
    published there. Returns ({alias: MLflow version set}, {alias: why it was left as it was})."""
    from sftgui.core.versions import get_version, list_aliases

    by_ref = {ref: mv for (ref, _manifest), mv in published(client, name).items()}
    done, skipped = {}, {}
    wanted = {str(a) for a in only} if only else None
    current = {a.name: a for a in list_aliases(ws, project)}
    if wanted:
        for alias in sorted(wanted - current.keys()):
            skipped[alias] = f"{project} has no alias {alias!r}"
    for alias_name, alias in sorted(current.items()):
        if wanted is not None and alias_name not in wanted:
            continue
        target = get_version(ws, alias.version_id)
        mv = find_published(client, name, target)
        if mv is None:
            also = f" (MLflow has another {target.ref})" if target.ref in by_ref else ""
            skipped[alias_name] = f"{target.ref} is not published to {name}{also}; publish it to move this alias"
            continue
        client.set_registered_model_alias(name, alias_name, mv.version)
        done[alias_name] = str(mv.version)
    return done, skipped


def check_alias_target(uri: str, name: str, version):
    """Before sftgui moves an alias to `version`: the MLflow model version it will move to. Refuses
    (nothing changed anywhere) when the version is not published there."""
    with _quiet(), _talking_to(uri):
        client = client_for(uri)
        mv = find_published(client, name, version)
    if mv is None:
        raise UserError(f"{version.ref} is not in the MLflow registry as {name}; publish it first with "
                        f"'sftgui publish {version.ref} --mlflow {uri}'.")
    return mv


def move_mlflow_alias(uri: str, name: str, alias: str, model_version) -> None:
    with _quiet(), _talking_to(uri):
        client_for(uri).set_registered_model_alias(name, alias, model_version.version)


def set_alias_mirrored(ws, project, alias: str, to, *, reason: str = "", uri: str, name: str | None = None):
    """sftgui's `set_alias` (a rollback is one), and the same move in MLflow.

    MLflow is asked first, so a version not published there refuses before sftgui's alias moves.
    Returns (the AliasEvent, the MLflow model version number the alias now points to)."""
    from sftgui.core.versions import resolve_version, set_alias

    target = resolve_version(ws, to, project=getattr(project, "name", project))
    name = name or target.project_name
    mv = check_alias_target(uri, name, target)
    event = set_alias(ws, project, alias, target, reason=reason)
    try:
        move_mlflow_alias(uri, name, alias, mv)
    except UserError as exc:
        raise UserError(f"{alias} of {target.project_name} now points to v{target.number} in sftgui, but MLflow "
                        f"was not changed: {exc} Run the same command again to move it there.") from None
    return event, str(mv.version)
