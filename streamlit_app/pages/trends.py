"""Page trends (being built)."""

import streamlit as st

st.title("trends")
