"""Reusable widgets: live loss plot, confusion matrix, label chips, probability bars."""
