"""Use cases: one verb-named function each; every write owns its unit of work."""
