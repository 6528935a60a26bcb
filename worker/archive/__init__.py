"""Safe access to a dataset's archive: inventory, limits, member reads.

`source.open_source` opens an archive or folder. `tables` reads Parquet, CSV
and JSON Lines members, `lfs` finds Git LFS pointer files, and `summary`
builds the inventory summary for reports. The error types are in `errors`.
"""
