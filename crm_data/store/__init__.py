"""The storage layer: opening bases and units of work, the schema and its migrations,
the shared SQL fragments, integrity checks and backups. Knows no entity rule."""
