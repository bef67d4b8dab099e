"""The language-model pages with real widgets on a tiny real causal LM: the Train page's live
answers, the chat playground (streamed words, Stop, temperature and top-p), Compare's answers side
by side with the blind vote, and the Label page's example editor with undo."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from tests.qt.conftest import fast_settings
from tests.tiny_lm import house_style_rows, make_tiny_lm_dir

TASK = "instruction-sft"


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory):
    return make_tiny_lm_dir(tmp_path_factory.mktemp("tiny-lm"))


def _project(ws, lm_dir, name="replies", rows=None):
    from sftgui.core.data.importers import import_file
    from sftgui.core.projects import create_project

    project = create_project(ws, name, TASK, base_model=str(lm_dir))
    path = ws.path.parent / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (rows or house_style_rows(40))), encoding="utf-8")
    import_file(ws, project, path)
    return project


def _version(ws, lm_dir, project, **settings):
    from sftgui.config import TrainConfig
    from sftgui.core.training import engine

    config = TrainConfig.from_preset("quick", project=project.name, task=TASK, model=str(lm_dir),
                                     **{**dict(lora=False, epochs=1, learning_rate=1e-3, batch_size=8, max_length=64,
                                               group_by_length=False), **settings})
    result = engine.run(config, ws=ws)
    assert result.status == "completed", result.error
    return result.version


def _click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_live_answers_fill_from_the_training_events(window, qtbot, ws, lm_dir):
    project = _project(ws, lm_dir)
    window.ctx.set_project(project)
    window.show_step("train")
    page = window.page("train")
    fast_settings(page, epochs=2)
    assert not page.live.isVisible()
    _click(qtbot, page.start_button)
    qtbot.waitUntil(lambda: page.job is None, timeout=180_000)
    assert page.last_version == "replies@v1", page.status.text()
    live = page.live
    assert live.isVisible()
    assert len(live.answers()) == 3
    prompts = [live.answer_labels[i].toolTip() for i in range(0, 9, 3)]
    assert all(p.startswith("help with my") for p in prompts)
    assert "step" in live.heading.text()
    assert "perplexity" in live.scores.text() and "at the first check" in live.scores.text()
    page.grab().save("/tmp/llm-train-live.png")
    # a new training starts with an empty panel
    _click(qtbot, page.start_button)
    assert not live.isVisible()
    qtbot.waitUntil(lambda: page.job is None, timeout=180_000)


def test_chat_streams_words_stop_stops_and_the_knobs_reach_generation(window, qtbot, ws, lm_dir, monkeypatch):
    from sftgui.core.tasks.instruction_sft import generate

    project = _project(ws, lm_dir)
    v = _version(ws, lm_dir, project, max_steps=1, learning_rate=1e-6)  # untrained: it rambles on
    window.ctx.set_project(project)
    window.show_step("try")
    page = window.page("try")
    chat = page.chat
    assert chat.isVisible() and not page.text.isVisible()
    assert page.version.currentData() == v.id
    pieces = []
    original = chat._piece
    chat._piece = lambda piece: (pieces.append(piece), original(piece))
    length = chat.length
    length.setFocus()
    qtbot.keyClick(length, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(length, "300")
    qtbot.keyClick(length, Qt.Key.Key_Tab)
    assert length.value() == 300

    qtbot.keyClicks(chat.input, "help with my parcel please")
    _click(qtbot, chat.send_button)
    assert not chat.send_button.isEnabled() and chat.stop_button.isEnabled()
    qtbot.waitUntil(lambda: chat.job is None, timeout=60_000)
    full = chat.last_reply
    assert len(pieces) > 5 and "".join(pieces).strip() == full  # the words came piece by piece
    assert len(full.split()) > 50
    view = chat.view.toPlainText()
    assert "You: help with my parcel please" in view and view.rstrip().endswith(full)
    assert [t["role"] for t in chat.conversation.turns] == ["user", "assistant"]

    # New conversation, the same prompt, Stop at the first word: greedy, so a prefix of the full answer
    _click(qtbot, chat.new_button)
    assert chat.view.toPlainText() == "" and chat.conversation.turns == []
    pieces.clear()

    def stop_at_first(piece):
        pieces.append(piece)
        original(piece)
        if len(pieces) == 1:
            _click(qtbot, chat.stop_button)

    chat._piece = stop_at_first
    qtbot.keyClicks(chat.input, "help with my parcel please")
    _click(qtbot, chat.send_button)
    qtbot.waitUntil(lambda: chat.job is None, timeout=60_000)
    stopped = chat.last_reply
    assert len(stopped.split()) < len(full.split()) // 2 and full.startswith(stopped)
    assert "Stopped" in chat.status.text()
    assert chat.conversation.turns[-1] == {"role": "assistant", "content": stopped}  # kept in the conversation

    # temperature and top-p, typed in, reach the generation call
    seen = []
    real = generate._sampling
    monkeypatch.setattr(generate, "_sampling", lambda t, p: (seen.append((t, p)), real(t, p))[1])
    chat._piece = original
    for spin, value in ((chat.temperature, "0.7"), (chat.top_p, "0.5"), (chat.length, "5")):
        spin.setFocus()
        qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(spin, value)
        qtbot.keyClick(spin, Qt.Key.Key_Tab)
    qtbot.keyClicks(chat.input, "say yes")
    _click(qtbot, chat.send_button)
    qtbot.waitUntil(lambda: chat.job is None, timeout=60_000)
    assert seen == [(0.7, 0.5)]
    assert len(chat.conversation.turns) == 4  # the conversation goes on
    page.grab().save("/tmp/llm-chat.png")


def test_compare_shows_answers_side_by_side_and_the_blind_vote_is_stored(window, qtbot, ws, lm_dir):
    from PySide6.QtWidgets import QDialog

    from sftgui.core import votes

    project = _project(ws, lm_dir)
    v1 = _version(ws, lm_dir, project, max_steps=1, learning_rate=1e-6)
    v2 = _version(ws, lm_dir, project, epochs=3, learning_rate=1e-2)
    window.ctx.set_project(project)
    window.ctx.compare_selection = [v1.id, v2.id]
    window.show_step("compare")
    page = window.page("compare")
    assert page.checked_ids() == [v1.id, v2.id]
    _click(qtbot, page.compare_button)
    qtbot.waitUntil(lambda: page.result is not None, timeout=120_000)
    answers = page.answers
    assert page.tabs.currentWidget() is answers and page.tabs.indexOf(page.matrices) < 0
    table = answers.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["Prompt", "Wanted answer", v1.ref, v2.ref]
    assert table.rowCount() == len(answers.rows) > 0
    first = answers.rows[0]
    assert table.item(0, 2).text() == first["answers"][v1.ref] and table.item(0, 3).text() == first["answers"][v2.ref]
    assert "No votes" in answers.win_rate.text()
    assert f"{v1.ref} {v1.metrics['validation']['loss']:.3g}" in answers.note.text()

    _click(qtbot, answers.vote_button)
    dialog = answers.findChild(QDialog, "voteDialog")
    assert dialog is not None and dialog.isVisible()
    shown = dialog.ballot[0]
    assert dialog.prompt.toPlainText() == shown["prompt"]
    assert [t.toPlainText() for t in dialog.texts] == shown["answers"]  # which version wrote which is not shown
    _click(qtbot, dialog.picks[0])  # "Answer 1 is better"
    stored = votes.votes(ws, v1, v2)
    assert len(stored) == 1 and stored[0]["row_id"] == shown["row_id"]
    winner = shown["versions"][0]
    assert stored[0]["winner"] == ("a" if winner.id == min(v1.id, v2.id) else "b")
    assert dialog.where.text().startswith("Prompt 2 of")
    second = dialog.ballot[1]
    _click(qtbot, dialog.tie)
    assert votes.votes(ws, v1, v2)[-1]["winner"] == "tie" and votes.votes(ws, v1, v2)[-1]["row_id"] == second["row_id"]
    _click(qtbot, dialog.done_button)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    s = votes.summary(ws, v1, v2)
    assert s["votes"] == 2 and answers.win_rate.text() == s["sentence"]
    assert "of 2 blind votes" in answers.win_rate.text() and "95% interval" in answers.win_rate.text()
    page.grab().save("/tmp/llm-compare.png")


def test_the_example_editor_edits_a_conversation_and_undo_takes_it_back(window, qtbot, ws, lm_dir):
    from sftgui.core.data import labelling
    from sftgui.core.tasks.instruction_sft import shapes

    project = _project(ws, lm_dir, rows=house_style_rows(4))
    window.ctx.set_project(project)
    window.show_step("label")
    page = window.page("label")
    editor = page.editor
    assert editor.isVisible()
    row = page.current_model().row_at(0)
    before = row.text
    assert [w[1].toPlainText() for w in editor.turn_widgets] == ["help with my refund please red one",
                                                                  "hi there , refund — the support team ."]
    answer = editor.turn_widgets[1][1]
    answer.setFocus()
    qtbot.keyClick(answer, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(answer, "hi there , your refund is on its way - the support team .")  # QTest types ASCII
    _click(qtbot, editor.add_button)
    assert len(editor.turn_widgets) == 3 and editor.turn_widgets[2][0].currentData() == "user"
    qtbot.keyClicks(editor.turn_widgets[2][1], "thanks")
    _click(qtbot, editor.add_button)
    qtbot.keyClicks(editor.turn_widgets[3][1], "you are welcome")
    _click(qtbot, editor.save_button)
    edited = labelling.rows_by_id(ws, project, [row.id])[row.id].text
    assert shapes.from_text(edited) == [
        {"role": "user", "content": "help with my refund please red one"},
        {"role": "assistant", "content": "hi there , your refund is on its way - the support team ."},
        {"role": "user", "content": "thanks"}, {"role": "assistant", "content": "you are welcome"}]
    assert len(editor.turn_widgets) == 4  # the editor shows the saved example again
    _click(qtbot, editor.undo_button)
    assert labelling.rows_by_id(ws, project, [row.id])[row.id].text == before
    assert len(editor.turn_widgets) == 2
    _click(qtbot, editor.redo_button)
    assert labelling.rows_by_id(ws, project, [row.id])[row.id].text == edited
    # an example without an answer is refused with a sentence, nothing changed
    from PySide6.QtWidgets import QMessageBox

    for _ in range(3):
        _click(qtbot, editor.remove_button) if editor.remove_button.isEnabled() else None
    editor.turn_widgets[1][1].clear()
    qtbot.keyClicks(editor.turn_widgets[1][1], "   ")
    _click(qtbot, editor.save_button)
    box = editor.findChild(QMessageBox)
    assert box is not None and "needs an answer" in box.text()
    box.close()
    assert labelling.rows_by_id(ws, project, [row.id])[row.id].text == edited
    page.grab().save("/tmp/llm-label.png")
