"""Errors the model reports to people: bad input, named precisely, never a traceback."""


class InputError(ValueError):
    """A request the model cannot carry out as asked; the message says what is allowed."""
