"""Instruction fine-tuning of a causal language model (chat SFT) on the task interface."""

from sftgui.core.tasks.instruction_sft.task import InstructionSFT

__all__ = ["InstructionSFT"]
