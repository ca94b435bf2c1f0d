"""Retention Lab: page configuration and navigation only (the pages live in pages/)."""

from pathlib import Path

import streamlit as st

from ui import routing, warmup

# The icon ships with the app: a Material icon or an emoji would be fetched from the internet.
st.set_page_config(
    page_title="Retention Lab", page_icon=str(Path(__file__).parent / "ui/assets/icon.png"), layout="wide"
)
navigation = st.navigation(
    [
        st.Page("pages/plan.py", title="Plan", icon=":material/tune:", default=True),
        st.Page("pages/optimise.py", title="Optimise", icon=":material/target:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("pages/methodology.py", title="Methodology", icon=":material/menu_book:"),
    ]
)
routing.mark_routed()
routing.resume()
warmup.start()
navigation.run()
