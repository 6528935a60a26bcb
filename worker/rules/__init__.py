"""Rule suites: the YAML files in `rules/` that define what to check and how strictly."""
