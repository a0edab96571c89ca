"""The analysis screens' pieces: filters and period, cached analyses, headline
figures, Plotly charts (frame in, figure out) and Excel/CSV exports."""
