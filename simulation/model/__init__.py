"""The model: scenario schema, distributions, assumption draws, levers, closed forms and figures."""
