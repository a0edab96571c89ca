"""The administration panels: reference lists, import wizard, backups, demo data."""
