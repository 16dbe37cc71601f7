"""Page samenwerkingsmodellen (being built)."""

import streamlit as st

st.title("samenwerkingsmodellen")
