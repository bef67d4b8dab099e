"""Each task's search space: the language-model task searches LoRA-sized learning rates, epochs
and the LoRA rank, and optimises the validation loss downwards; the search draws from it."""

from __future__ import annotations

from sftgui.config import TrainConfig
from sftgui.core import search
from sftgui.core.tasks import get_task


def test_the_language_model_task_searches_the_lora_rank_and_minimises_the_loss():
    import optuna

    task = get_task("instruction-sft")
    config = TrainConfig.from_preset("quick", task="instruction-sft").to_dict()
    assert config["lora"]
    space = {d.field: d for d in task.search_space(config)}
    assert set(space) == {"learning_rate", "epochs", "warmup", "weight_decay", "lora_r"}
    assert space["lora_r"].choices == (4, 8, 16, 32) and space["learning_rate"].kind == "log"
    assert "lora_r" not in {d.field for d in task.search_space({**config, "lora": False})}
    assert task.search_metric() == ("loss", False)  # lower validation loss is better
    # the search's own drawing from the stored space, as a search row keeps it
    stored = [vars(d) | {"choices": list(d.choices)} for d in task.search_space(config)]
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    drawn = [search._params(study.ask(), stored) for _ in range(8)]
    assert all(5e-5 <= p["learning_rate"] <= 5e-4 and 1 <= p["epochs"] <= 4 and p["lora_r"] in (4, 8, 16, 32)
               for p in drawn)
    assert len({p["lora_r"] for p in drawn}) > 1
    assert all(TrainConfig.from_dict({**config, **p}).lora_r == p["lora_r"] for p in drawn)
