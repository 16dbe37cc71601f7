"""Page methode (being built)."""

import streamlit as st

st.title("methode")
