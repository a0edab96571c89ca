"""The analyses of SPEC §3 by their command-line names, and the pieces callers need with them.

Each analysis takes (con, actor, filters) and returns a small pandas frame with SPEC §3's columns.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from crm_data.analyses.common import base_state, shift_months, shift_period
from crm_data.analyses.conversion import STUCK_DAYS, conversion, stuck_affaires
from crm_data.analyses.objectifs import objectifs
from crm_data.analyses.pipe import (
    EN_RETARD,
    QUALITY_CHECKS,
    SANS_DATE,
    by_commercial,
    commercial_figures,
    data_quality,
    forecast,
    pipe_by_etape,
)
from crm_data.analyses.timeline import (
    CATEGORIES,
    MOVEMENTS,
    VALEURS,
    forecast_reliability,
    movement_affaires,
    movements,
    open_ids_at,
    slipping,
)
from crm_data.analyses.ventes import (
    BREAKDOWNS,
    avoidable_share,
    losses_by_code,
    losses_matrix,
    monthly_revenue,
    objective,
    results_by_type,
    sales_summaries,
    sales_summary,
    velocities,
    velocity,
)
from crm_data.filters import Filters
from crm_data.model import Actor
from crm_data.store.db import Connection
from crm_data.users import user_labels

Analysis = Callable[[Connection, Actor, Filters], pd.DataFrame]

REGISTRY: dict[str, Analysis] = {
    "pipe": pipe_by_etape,
    "prevision": forecast,
    "resultats-type": results_by_type,
    "pertes-code": losses_by_code,
    "ca-mensuel": monthly_revenue,
    "objectif": objective,
    "commerciaux": by_commercial,
    "conversion": conversion,
    "qualite": data_quality,
    "mouvements": movements,
    "fiabilite": forecast_reliability,
    "glissements": slipping,
    "objectifs": objectifs,
}
"""A1–A14 in SPEC order, keyed by the name `python -m crm_data analyse NAME` takes."""

AS_ON_DAY = ("pipe", "prevision", "commerciaux")
"""The analyses that can be computed as on a past day (filters.le, A10)."""

__all__ = [
    "AS_ON_DAY",
    "BREAKDOWNS",
    "CATEGORIES",
    "EN_RETARD",
    "MOVEMENTS",
    "QUALITY_CHECKS",
    "REGISTRY",
    "SANS_DATE",
    "STUCK_DAYS",
    "VALEURS",
    "Analysis",
    "Filters",
    "avoidable_share",
    "base_state",
    "by_commercial",
    "commercial_figures",
    "conversion",
    "data_quality",
    "forecast",
    "forecast_reliability",
    "losses_by_code",
    "losses_matrix",
    "monthly_revenue",
    "movement_affaires",
    "movements",
    "objective",
    "open_ids_at",
    "pipe_by_etape",
    "results_by_type",
    "sales_summaries",
    "sales_summary",
    "shift_months",
    "shift_period",
    "slipping",
    "stuck_affaires",
    "user_labels",
    "velocities",
    "velocity",
]
