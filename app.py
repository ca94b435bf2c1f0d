"""Retention Lab: page configuration and navigation only (the pages live in pages/)."""

from pathlib import Path

import streamlit as st

from ui.shared import fonts, routing, warmup, workspace

# The icon ships with the app: a Material icon or an emoji would be fetched from the internet.
st.set_page_config(
    page_title="Retention Lab", page_icon=str(Path(__file__).parent / "ui/assets/icon.png"), layout="wide"
)
workspace.require_password()
navigation = st.navigation(
    [
        st.Page("pages/plan.py", title="Plan", icon=":material/tune:", default=True),
        st.Page("pages/portfolio.py", title="Portfolio", icon=":material/groups:"),
        st.Page("pages/optimise.py", title="Optimise", icon=":material/target:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("pages/methodology.py", title="Methodology", icon=":material/menu_book:"),
        st.Page("pages/lessons.py", title="Lessons", icon=":material/school:"),
        st.Page("pages/class_trainer.py", title="Class (trainer)", icon=":material/co_present:"),
        st.Page("pages/team_game.py", title="Team game", icon=":material/sports_esports:"),
    ]
)
routing.mark_routed()
routing.resume()
warmup.start()
fonts.serve_fonts_once()
navigation.run()
