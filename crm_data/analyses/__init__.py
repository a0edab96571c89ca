"""The analyses of SPEC §3, one module per family, their registry and drill-downs.
Grouping runs in the database; frames come back small. No screen code here."""
