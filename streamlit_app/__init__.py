"""Streamlit viewer of the published serving copy.

The viewer reads only the aggregate serving copy; it is built in its own issue on top of the marts.
"""
