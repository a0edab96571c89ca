"""The browser's Plotly script loaded ahead: the first chart of a session otherwise waits for
Streamlit's 4.7 MB Plotly bundle to download and compile (seconds on a busy laptop)."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

_DONE = "charts_preloaded"
_KEY = "plotly_preload"


def preload_charts() -> None:
    """Once per session, draw an empty Plotly chart hidden in the sidebar: the browser loads
    the Plotly bundle while the reader is on the first page, not when they open a chart."""
    if st.session_state.get(_DONE):
        return
    st.session_state[_DONE] = True
    with st.sidebar:
        st.html(f"<style>.st-key-{_KEY} {{ display: none; }}</style>")
        with st.container(key=_KEY, height=1, border=False):
            st.plotly_chart(go.Figure(), key=f"{_KEY}_chart", config={"staticPlot": True})
