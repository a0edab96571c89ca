"""Files in and out: the streaming CSV/XLSX reader, the canonical affaire format and
the exports. Parses and writes files; validates no business rule."""
