"""Page overzicht (being built)."""

import streamlit as st

st.title("overzicht")
