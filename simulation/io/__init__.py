"""Scenarios in and out: presets, the saved library (SQLite) and share links."""
