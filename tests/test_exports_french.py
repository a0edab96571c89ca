"""The analysis tables as shown and exported: French headers, figures and months, blanks."""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd

from crm_ui.analysis import columns, excel

NB = "\u00a0"


def _results() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "type": ["Nouveau", "Récurrent"],
            "gagnees": [1026, 0],
            "taux_reussite": [0.41666, float("nan")],
            "ca_signe": [16571502.530000001, 0.0],
            "cycle_moyen_jours": [64.06, float("nan")],
        }
    )


def test_the_screen_shows_french_figures_headers_and_blanks() -> None:
    shown = columns.display(_results())
    assert list(shown.columns) == [
        "Type",
        "Gagnées",
        "Taux de réussite",
        "CA signé",
        "Cycle moyen (jours)",
    ]
    assert shown.iloc[0].tolist() == [
        "Nouveau",
        f"1{NB}026",
        f"41,7{NB}%",
        f"16{NB}571{NB}502,53{NB}€",
        "64,1",
    ]
    assert shown.iloc[1]["Taux de réussite"] == ""
    assert "None" not in shown.to_string()


def test_months_and_affaire_numbers_read_as_a_reader_expects() -> None:
    frame = pd.DataFrame({"mois": ["En retard", "2026-12"], "id": [12345, 7]})
    shown = columns.display(frame)
    assert shown["Mois"].tolist() == ["En retard", "déc. 2026"]
    assert shown["N°"].tolist() == ["12345", "7"]


def test_the_csv_carries_french_headers_cents_and_months() -> None:
    frame = _results().assign(mois=["2026-12", "2027-01"])
    rows = list(csv.reader(io.StringIO(excel.csv_bytes(frame).decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Type",
        "Gagnées",
        "Taux de réussite",
        "CA signé",
        "Cycle moyen (jours)",
        "Mois",
    ]
    assert rows[1] == ["Nouveau", "1026", "41,7 %", "16571502,53", "64,1", "déc. 2026"]
    assert rows[2] == ["Récurrent", "0", "", "0,00", "", "janv. 2027"]
    assert not any("taux_" in cell or "ca_" in cell for row in rows for cell in row)


def test_the_workbook_carries_french_headers_cents_and_months() -> None:
    frame = _results().assign(mois=["2026-12", "2027-01"])
    book = openpyxl.load_workbook(io.BytesIO(excel.workbook({"Résultats": frame}, {})))
    sheet = book["Résultats"]
    header = [c.value for c in sheet[1]]
    assert header == [
        "Type",
        "Gagnées",
        "Taux de réussite",
        "CA signé",
        "Cycle moyen (jours)",
        "Mois",
    ]
    assert sheet["D2"].value == 16571502.53
    assert sheet["C2"].value == 0.4167
    assert sheet["F2"].value == "déc. 2026"


def test_the_forecast_scenarios_are_named_after_what_they_sum() -> None:
    shown = columns.display(pd.DataFrame({"mois": ["2026-12"], "bas": [1.0], "pondere": [1.0]}))
    assert list(shown.columns) == ["Mois", "CA attendu", "CA pondéré"]
