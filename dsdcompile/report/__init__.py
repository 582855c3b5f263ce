"""The design report: one self-contained ``index.html`` per design folder, read from the folder's files alone."""

from dsdcompile.report.folder import INDEX_NAME
from dsdcompile.report.page import render_index, write_index

__all__ = ["INDEX_NAME", "render_index", "write_index"]
