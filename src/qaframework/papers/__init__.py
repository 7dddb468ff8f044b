"""Meeting papers: the pack for each meeting and the exception reports that carry what
is off track up the reporting lines, assembled from the record as plain data."""
