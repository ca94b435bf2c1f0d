"""Helpers of the Team game page: its sentences, charts and views."""
