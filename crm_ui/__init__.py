"""Streamlit and Plotly pieces shared by the screens: session, forms, charts, formats."""
