"""Reports of each gated dataset, for people (HTML) and scripts (JSON)."""
