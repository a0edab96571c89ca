"""The demo's people and customers as drawn once per base: who sells, who manages, which compte
belongs to whom and where its contacts sit. Plain arrays, shared by the generators.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Team:
    """The demo users: who can manage affaires and who owns which compte."""

    commerciaux: np.ndarray
    managers: np.ndarray


@dataclass
class Comptes:
    """The demo comptes and where each compte's contacts sit in the contact ids."""

    ids: np.ndarray
    noms: np.ndarray
    owner: np.ndarray
    contact_first: np.ndarray
    contact_count: np.ndarray
