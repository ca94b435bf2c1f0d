"""The engines (vectorised and discrete-event), the runner that picks one, and their results."""
