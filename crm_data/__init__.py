"""CRM Affaires' domain and data: the model, the DuckDB base, the analyses, files, the command line.

UI-free: nothing here imports streamlit or plotly.
"""
