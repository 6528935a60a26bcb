"""Safe access to a dataset's archive: inventory, limits, member reads."""
