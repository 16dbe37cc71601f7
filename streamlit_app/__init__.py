"""Streamlit viewer of the published serving copy, in Dutch, for stakeholders.

It opens only the serving copy (`SERVING_PATH`), read-only, and never imports the pipeline package:
what it shows is what was published, checked and logged. Start it with `make app`.
"""
