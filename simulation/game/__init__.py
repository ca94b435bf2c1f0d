"""The team game: competing firms in one saturating market, round by round (no Streamlit here).

:mod:`.economics` (a firm's numbers, from the model's scenario schema), :mod:`.firm` (one firm's round
on its latent classes, drawn or in expectation), :mod:`.market` (the shared prospects, the attraction
rule, playing a game from its seed and decisions), :mod:`.debrief` (the best split for each team's
situation) and :mod:`.replay` (replay files and result rows).
"""
