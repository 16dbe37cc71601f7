"""The viewer's entry point (`make app`): the pages, and what every page shows first.

Run with `streamlit run streamlit_app/app.py`; `make app` serves it on 127.0.0.1.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts this folder, not the checkout, on the path; the pages import `streamlit_app.*`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st  # noqa: E402

from publication import locations  # noqa: E402
from streamlit_app import data, widgets  # noqa: E402

VIEWS_DIR = Path(__file__).resolve().parent / "views"
PAGES = [
    st.Page(
        VIEWS_DIR / "overzicht.py", title="Overzicht", url_path="overzicht", icon=":material/dashboard:", default=True
    ),
    st.Page(VIEWS_DIR / "vragen.py", title="Vragen", url_path="vragen", icon=":material/quiz:"),
    st.Page(VIEWS_DIR / "trends.py", title="Trends", url_path="trends", icon=":material/trending_up:"),
    st.Page(VIEWS_DIR / "kindcentra.py", title="Kindcentra", url_path="kindcentra", icon=":material/child_care:"),
    st.Page(
        VIEWS_DIR / "samenwerkingsmodellen.py",
        title="Samenwerkingsmodellen",
        url_path="samenwerkingsmodellen",
        icon=":material/hub:",
    ),
    st.Page(VIEWS_DIR / "methode.py", title="Methode en kwaliteit", url_path="methode", icon=":material/science:"),
]

st.set_page_config(page_title="Samenwerking in beeld", page_icon=":material/school:", layout="wide")
page = st.navigation(PAGES)

publication = data.publication()
if publication is None:
    st.title("Samenwerking in beeld")
    st.error(
        f"Er is nog niets gepubliceerd: het bestand {locations.serving_path()} bestaat niet. "
        "Draai eerst `make run` (of wijs SERVING_PATH naar een gepubliceerde kopie)."
    )
    st.stop()

st.session_state["publication"] = publication
widgets.banner(publication)
page.run()
