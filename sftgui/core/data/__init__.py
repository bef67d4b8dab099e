"""Data: importers, column mapping, labels and labelling (undo), quality report, splits,
augmentation and dataset snapshots."""
