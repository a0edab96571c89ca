"""The screens' building blocks: period presets, Excel and CSV exports, chart builders."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from crm_ui.analysis import charts, excel
from crm_ui.analysis.period import resolve

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    ("preset", "du", "au", "previous", "year_before"),
    [
        (
            "Ce mois",
            "2026-05-01",
            "2026-05-20",
            ("2026-04-01", "2026-04-20"),
            ("2025-05-01", "2025-05-20"),
        ),
        (
            "Ce trimestre",
            "2026-04-01",
            "2026-05-20",
            ("2026-01-01", "2026-02-20"),
            ("2025-04-01", "2025-05-20"),
        ),
        (
            "Cette année",
            "2026-01-01",
            "2026-05-20",
            ("2025-01-01", "2025-05-20"),
            ("2025-01-01", "2025-05-20"),
        ),
        (
            "12 derniers mois",
            "2025-05-21",
            "2026-05-20",
            ("2024-05-21", "2025-05-20"),
            ("2024-05-21", "2025-05-20"),
        ),
    ],
)
def test_presets_end_today_and_compare_with_the_same_stretch_earlier(
    preset: str, du: str, au: str, previous: tuple[str, str], year_before: tuple[str, str]
) -> None:
    period = resolve(preset, D("2026-05-20"))
    assert (period.du, period.au) == (D(du), D(au))
    assert period.previous == (D(previous[0]), D(previous[1]))
    assert period.year_before == (D(year_before[0]), D(year_before[1]))


def test_a_custom_period_compares_with_the_days_just_before() -> None:
    period = resolve("Personnalisée", D("2026-05-20"), D("2026-03-10"), D("2026-03-19"))
    assert (period.du, period.au) == (D("2026-03-10"), D("2026-03-19"))
    assert period.previous == (D("2026-02-28"), D("2026-03-09"))


def test_workbook_has_a_sheet_per_table_and_records_the_filters() -> None:
    tables = {
        "Résultats par type": pd.DataFrame(
            {"type": ["Nouveau"], "ca_signe": [1234.5], "taux_reussite": [0.625]}
        ),
        "Pertes étape x code": pd.DataFrame({"etape": ["Qualification"], "Prix": [2]}),
    }
    data = excel.workbook(
        tables, {"Période du": "01/01/2026"}, extracted_at=dt.datetime(2026, 5, 20, 14, 5)
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Résultats par type", "Pertes étape x code", "Filtres"]
    sheet = book["Résultats par type"]
    assert [c.value for c in sheet[1]] == ["Type", "CA signé", "Taux de réussite"]
    assert sheet["B2"].value == 1234.5
    assert "€" in sheet["B2"].number_format
    assert "%" in sheet["C2"].number_format
    filtres = [tuple(c.value for c in row) for row in book["Filtres"].iter_rows(min_row=2)]
    assert filtres == [("Période du", "01/01/2026"), ("Date d'extraction", "20/05/2026 14:05")]


def test_sheet_names_are_cut_cleaned_and_unique() -> None:
    frame = pd.DataFrame({"a": [1]})
    long = "Un titre beaucoup trop long pour une feuille / Excel"
    data = excel.workbook({long: frame, long + " bis": frame}, {})
    names = openpyxl.load_workbook(io.BytesIO(data)).sheetnames
    assert len(set(names)) == 3
    assert all(len(n) <= 31 and "/" not in n for n in names)


def test_csv_for_a_french_spreadsheet_uses_semicolons_and_decimal_commas() -> None:
    frame = pd.DataFrame({"mois": ["2026-01"], "ca_signe": [1234.5]})
    assert excel.csv_bytes(frame).decode("utf-8-sig").splitlines() == [
        "Mois;CA signé",
        "janv. 2026;1234,50",
    ]


@pytest.mark.parametrize(
    ("builder", "frame"),
    [
        (
            charts.pipe_chart,
            pd.DataFrame(
                {
                    "etape": ["Qualification"],
                    "nombre": [0],
                    "ca_potentiel": [0.0],
                    "ca_pondere": [0.0],
                }
            ),
        ),
        (charts.forecast_chart, pd.DataFrame(columns=["mois", "bas", "pondere", "haut"])),
        (
            charts.pareto_chart,
            pd.DataFrame(columns=["code_cloture", "categorie", "nombre", "part"]),
        ),
    ],
)
def test_an_empty_result_draws_nothing(builder: object, frame: pd.DataFrame) -> None:
    assert builder(frame, "Titre") is None  # type: ignore[operator]


def test_pipe_chart_uses_french_separators_and_carries_each_etape() -> None:
    pipe = pd.DataFrame(
        {
            "etape": ["Qualification", "Négociation"],
            "nombre": [1, 2],
            "ca_potentiel": [1000.0, 2000.0],
            "ca_pondere": [200.0, 1600.0],
        }
    )
    fig = charts.pipe_chart(pipe, "CA par étape")
    assert fig is not None
    assert fig.layout.separators == ", "
    assert fig.layout.yaxis.ticksuffix == " €"
    assert list(fig.data[1].customdata) == ["Qualification", "Négociation"]
    event = {"selection": {"points": [{"customdata": "Négociation", "curve_number": 1}]}}
    assert charts.clicked(event, fig) == ("Négociation", "CA pondéré")
    assert charts.clicked({"selection": {"points": []}}, fig) is None


def test_pareto_colours_losses_by_category() -> None:
    losses = pd.DataFrame(
        {
            "code_cloture": ["Prix", "Projet annulé"],
            "categorie": ["interne", "externe"],
            "nombre": [3, 1],
            "part": [0.75, 0.25],
        }
    )
    fig = charts.pareto_chart(losses, "Pertes")
    assert fig is not None
    bars = {t.name: (list(t.x), t.marker.color) for t in fig.data if t.type == "bar"}
    assert bars == {
        "Perte interne": (["Prix"], charts.RED),
        "Perte externe": (["Projet annulé"], charts.GREY),
    }
    assert list(fig.data[-1].y) == [75.0, 100.0]


@pytest.mark.parametrize(
    ("preset", "year_before"),
    [
        ("Ce mois", ("2024-02-01", "2024-02-29")),
        ("Cette année", ("2024-01-01", "2024-02-29")),
        ("12 derniers mois", ("2023-03-01", "2024-02-29")),
    ],
)
def test_a_year_before_28_february_2025_ends_on_29_february_2024(
    preset: str, year_before: tuple[str, str]
) -> None:
    period = resolve(preset, D("2025-02-28"))
    assert period.year_before == (D(year_before[0]), D(year_before[1]))


def test_the_last_12_months_to_28_february_2025_are_whole_months() -> None:
    period = resolve("12 derniers mois", D("2025-02-28"))
    assert (period.du, period.au) == (D("2024-03-01"), D("2025-02-28"))


def test_a_whole_month_is_compared_with_the_whole_month_before() -> None:
    period = resolve("Ce mois", D("2026-04-30"))
    assert period.previous == (D("2026-03-01"), D("2026-03-31"))


FORMULA = '=HYPERLINK("http://x","y")'


def test_a_formula_in_a_screen_csv_comes_out_as_text() -> None:
    frame = pd.DataFrame({"nom": [FORMULA, "@SUM(A1)", "Normale"], "jours": [90, 80, 70]})
    text = excel.csv_bytes(frame).decode("utf-8-sig")
    cells = [row[0] for row in csv.reader(io.StringIO(text), delimiter=";")]
    assert cells == ["Nom", "'" + FORMULA, "'@SUM(A1)", "Normale"]


def test_a_formula_in_a_screen_workbook_comes_out_as_text_in_tables_and_filters() -> None:
    tables = {"Par commercial": pd.DataFrame({"gestion_par": [FORMULA], FORMULA: [1]})}
    data = excel.workbook(tables, {"Gestion par": FORMULA})
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    texts = [c.value for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert texts == ["'" + FORMULA] * 3
