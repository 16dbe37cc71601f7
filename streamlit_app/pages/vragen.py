"""Page vragen (being built)."""

import streamlit as st

st.title("vragen")
