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
from streamlit_app import address, data, widgets  # noqa: E402

VIEWS_DIR = Path(__file__).resolve().parent / "views"
PAGES = [
    st.Page(VIEWS_DIR / "overzicht.py", title="Overzicht", url_path="start", icon=":material/dashboard:", default=True),
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
# The start page lives at "/"; a link to "/overzicht" (the name in the menu) opens it too, instead of
# Streamlit's English "Page not found". Hidden: the menu lists Overzicht once.
START_PAGE_ALIAS = st.Page(
    lambda: st.switch_page(PAGES[0], query_params=st.query_params.to_dict()),
    title="Overzicht",
    url_path="overzicht",
    visibility="hidden",
)

st.set_page_config(page_title="Samenwerking in beeld", page_icon=":material/school:", layout="wide")
page = st.navigation([*PAGES, START_PAGE_ALIAS])

publication = data.publication()
if publication is None:
    st.title("Samenwerking in beeld")
    st.error(
        f"Er is nog niets gepubliceerd: het bestand {locations.serving_path()} bestaat niet. "
        "Draai eerst `make run` (of wijs SERVING_PATH naar een gepubliceerde kopie)."
    )
    st.stop()

st.session_state["publication"] = publication
address.opened(page.url_path)
widgets.banner(publication)
page.run()
