"""One page per step of the guided workflow (see `main_window.STEPS`)."""
