"""Analyses served from a cache keyed by the base's state: unchanged data answers at once, any
write changes the state token (crm_data.analyses.registry.base_state) so the next view is fresh."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pandas as pd
import streamlit as st

from crm_data.analyses import registry as analyses
from crm_data.filters import Filters
from crm_data.model import Actor
from crm_ui import session

_EXTRA: dict[str, Callable[..., pd.DataFrame]] = {
    "pertes-matrice": analyses.losses_matrix,
    "bloquees": analyses.stuck_affaires,
    "commerciaux-ids": analyses.commercial_figures,
}


def state() -> str:
    """The base's state now, as a short digest (cheap to hash as a cache key): take it once per
    script run and pass it to every `analysis` call."""
    token = repr(analyses.base_state(session.connection())).encode()
    return hashlib.sha256(token).hexdigest()


@st.cache_data(max_entries=512, show_spinner=False)
def _run(
    name: str, base_state: str, actor: Actor, filters: Filters, by: str | None
) -> pd.DataFrame:
    con = session.connection()
    if name in analyses.REGISTRY:
        return analyses.REGISTRY[name](con, actor, filters)
    if name == "ca-mensuel-par":
        return analyses.monthly_revenue(con, actor, filters, by=by)
    return _EXTRA[name](con, actor, filters)


def analysis(
    name: str,
    base_state: str,
    actor: Actor,
    filters: Filters,
    by: str | None = None,
) -> pd.DataFrame:
    """The analysis `name` (a REGISTRY name, or pertes-matrice, bloquees, commerciaux-ids,
    ca-mensuel-par) as a
    copy the caller may change."""
    return _run(name, base_state, actor, filters, by).copy()
