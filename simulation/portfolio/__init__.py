"""Your own customers: read, classify, calibrate and plan (no Streamlit here)."""
