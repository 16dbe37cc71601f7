"""Page kindcentra (being built)."""

import streamlit as st

st.title("kindcentra")
