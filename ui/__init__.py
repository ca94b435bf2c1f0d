"""Helpers shared by the Streamlit pages: style, formatting, charts and widgets."""
