"""The import pipeline shared by the canonical and the mapped import: resolve names,
type, validate, write in bulk; re-import by source id. All or nothing."""
