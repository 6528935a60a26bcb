"""Built-in checks, one module per kind of data; each registers itself on import."""
