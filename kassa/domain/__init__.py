"""Pure billing domain: standard library only, no I/O, never reads the clock."""
