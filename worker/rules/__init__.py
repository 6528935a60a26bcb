"""Rule suites: the YAML files in `rules/` that say what to check and how strictly."""
