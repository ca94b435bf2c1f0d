"""Tests of the Portfolio feature: reading customer data, classes, the churn fit, the command line and the page."""
