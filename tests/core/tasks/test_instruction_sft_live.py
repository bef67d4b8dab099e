"""The answers to three fixed validation prompts after every validation pass (the Train page's
"watch the model learn"): emitted by the engine as Answered events from the model being trained."""

from __future__ import annotations

import json

import pytest

from tests.tiny_lm import house_style_rows, make_tiny_lm_dir

TASK = "instruction-sft"


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory):
    return make_tiny_lm_dir(tmp_path_factory.mktemp("tiny-lm"))


def test_each_validation_pass_brings_the_answers_to_three_fixed_prompts(ws, lm_dir):
    from sftgui.config import TrainConfig
    from sftgui.core import events as ev
    from sftgui.core.data.importers import import_file
    from sftgui.core.projects import create_project
    from sftgui.core.training import engine

    project = create_project(ws, "live", TASK, base_model=str(lm_dir))
    path = ws.path.parent / "live.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in house_style_rows(64)), encoding="utf-8")
    import_file(ws, project, path)
    config = TrainConfig.from_preset("quick", project="live", task=TASK, model=str(lm_dir), lora=False, epochs=10,
                                     learning_rate=1e-2, batch_size=8, max_length=64, group_by_length=False)
    seen = []
    result = engine.run(config, seen.append, ws=ws)
    assert result.status == "completed", result.error
    evaluated = [e for e in seen if isinstance(e, ev.Evaluated)]
    answered = [e for e in seen if isinstance(e, ev.Answered)]
    # one per validation pass: ten during training, and the final measuring pass of the best model
    assert len(answered) == len(evaluated) == 11
    assert [a.step for a in answered] == [e.step for e in evaluated]
    prompts = [[x["prompt"] for x in a.answers] for a in answered]
    assert len(prompts[0]) == 3 and all(p == prompts[0] for p in prompts)  # the same three every time
    assert all(p.startswith("help with my") for p in prompts[0])
    # after ten passes it answers in the house style
    assert all(x["answer"].startswith("hi there ,") for x in answered[-1].answers)
    # the last answers are the final model's own: the version says the same, greedily
    from sftgui.core.predict import loaded_version
    from sftgui.core.tasks import get_task

    model, tok = loaded_version(ws, result.version)
    again = get_task(TASK).predict(model, tok, prompts[0], max_length=32)
    assert [o["text"] for o in again] == [x["answer"] for x in answered[-1].answers]
    assert all(x["reference"].startswith("hi there ,") for x in answered[-1].answers)
    # and the events go out as JSON lines like every other
    assert json.loads(json.dumps(ev.to_dict(answered[-1])))["event"] == "Answered"


def test_a_classifier_has_no_live_answers():
    from sftgui.core.tasks import get_task

    assert get_task("text-classification").live_answers(None, None, {}) is None
