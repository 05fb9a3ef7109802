"""Writing tables and projects to files."""

from qca.export.tables import TABLE_FORMATS, write_table

__all__ = ["TABLE_FORMATS", "write_table"]
