"""sftgui: fine-tune a pre-trained model on your own labelled data, keep every result as a version."""

__version__ = "0.1.0"
