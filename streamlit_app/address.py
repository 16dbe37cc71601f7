"""Shareable addresses: every choice a page offers is mirrored in the query string and read back from it.

The page itself is the path (`/vragen`), the choices are query parameters in Dutch: `groep`, `vraag`,
`item`, `meting`, `onderwerp`. A value that is not one of the options (a typo, an old link, an
attempt to slip in SQL) is ignored and the default shown instead; it never reaches a query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import streamlit as st

T = TypeVar("T")


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
    value = container.selectbox(
        label, options, index=list(options).index(start), format_func=format_func, key=f"address_{name}"
    )
    remember(**{name: value})
    return value
