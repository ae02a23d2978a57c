"""Model files: where they live, the catalog of known models, fetching and installing, cfg fixes."""
