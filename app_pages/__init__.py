"""One module per screen, run by st.navigation from dashboard.py."""
