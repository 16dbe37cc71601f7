"""Shareable addresses: every choice a page offers is mirrored in the query string and read back from it.

The page itself is the path (`/vragen`), the choices are query parameters in Dutch: `groep`, `vraag`,
`item`, `meting`, `onderwerp`, `zoek`. A value that is not one of the options (a typo, an old link, an
attempt to slip in SQL) is ignored: the page says so in Dutch and shows the default instead; it never
reaches a query.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

import streamlit as st

from publication import texts

T = TypeVar("T")
# How much of an unknown value the notice repeats, and which characters: enough to recognise a typo,
# never Markdown or a link.
SHOWN_CHARACTERS = 40


def quoted(value: str) -> str:
    """An address value safe to repeat in a notice: letters, digits and a few marks, shortened."""
    safe = re.sub(r"[^0-9A-Za-zÀ-ÿ _.,-]", "", value)[:SHOWN_CHARACTERS]
    return safe + ("…" if len(value) > SHOWN_CHARACTERS else "")


def announce_unknown(name: str, wanted: str, shown: str, container=st) -> None:
    """Say in Dutch that the address names a value the page does not know, and what is shown instead."""
    container.warning(
        texts.UNKNOWN_ADDRESS_VALUE.format(parameter=name, value=quoted(wanted), shown=shown),
        icon=":material/link_off:",
    )


def opened(page: str) -> None:
    """Note whether this run is the first of `page` in the session: only then is the address a link followed.

    Later runs of the page write the address themselves; a value left from another choice (an `item` of the
    question picked before) is then not a link's unknown value.
    """
    seen = st.session_state.setdefault("address_pages_seen", set())
    st.session_state["address_followed_link"] = page not in seen
    seen.add(page)


def unknown(name: str, options: Sequence) -> str | None:
    """The address's value under `name` when it is none of the options (compared as text), on a link followed."""
    if not st.session_state.get("address_followed_link", True):
        return None
    wanted = st.query_params.get(name)
    if wanted is None or wanted == "" or any(str(option) == wanted for option in options):
        return None
    return wanted


def chosen(name: str, options: Sequence[T], default: T | None = None) -> T | None:
    """The option the address names under `name` (compared as text), else `default`, else the first."""
    wanted = st.query_params.get(name)
    for option in options:
        if wanted is not None and str(option) == wanted:
            return option
    if default is not None:
        return default
    return options[0] if options else None


def remember(**choices: object) -> None:
    """Write the current choices into the address, so that copying it reopens this view."""
    for name, value in choices.items():
        if value is None or value == "":
            st.query_params.pop(name, None)
        else:
            st.query_params[name] = str(value)


def select(
    label: str,
    name: str,
    options: Sequence[T],
    *,
    format_func: Callable[[T], str] = str,
    default: T | None = None,
    container=st,
) -> T | None:
    """A selectbox that starts on the address's choice and writes the user's choice back into it."""
    if not options:
        return None
    start = chosen(name, options, default)
    wanted = unknown(name, options)
    if wanted is not None:
        announce_unknown(name, wanted, format_func(start), container)
    value = container.selectbox(
        label, options, index=list(options).index(start), format_func=format_func, key=f"address_{name}"
    )
    remember(**{name: value})
    return value
