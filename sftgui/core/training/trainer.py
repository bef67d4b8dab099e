"""The Trainer with one change: `row_id` travels in the batch but never reaches the model.

With `label_names=["labels", "row_id"]` the Trainer returns row ids next to the labels from
evaluate/predict, so predictions are matched to rows by id even when length-grouped sampling
reorders them (DESIGN section 7).
Given `train_lengths` (the task's length of each training row) it trains on length-grouped
batches in a random order (sampling.py) while evaluation and prediction keep the dataset's order.
"""

from __future__ import annotations

from transformers import Trainer


class RowIdTrainer(Trainer):
    def __init__(self, *args, train_lengths: list[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.train_lengths = train_lengths

    def _get_train_sampler(self, train_dataset=None):
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        if self.train_lengths is None or dataset is None or len(self.train_lengths) != len(dataset):
            return super()._get_train_sampler(train_dataset)
        from sftgui.core.training.sampling import ShuffledLengthBatches

        # Under DDP each group of a global batch is cut into one slice per process, so N processes
        # train the same batches as one process with an N times larger per-device batch.
        batch = self.args.per_device_train_batch_size * max(1, self.args.world_size)
        return ShuffledLengthBatches(self.train_lengths, batch, self.args.seed)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        inputs = {k: v for k, v in inputs.items() if k != "row_id"}
        return super().compute_loss(model, inputs, return_outputs=return_outputs,
                                    num_items_in_batch=num_items_in_batch)


def weighted_loss(weights, label_smoothing: float):
    """A `compute_loss_func` for class weights: cross entropy summed, divided by the items in the batch."""
    import torch.nn.functional as F

    def loss(outputs, labels, num_items_in_batch=None):
        logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
        w = weights.to(device=logits.device, dtype=logits.dtype)
        total = F.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1), weight=w,
                                label_smoothing=label_smoothing, reduction="sum")
        n = num_items_in_batch if num_items_in_batch is not None else labels.numel()
        return total / n

    return loss
