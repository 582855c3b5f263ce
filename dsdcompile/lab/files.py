"""The lab's table writers, now in :mod:`dsdcompile.runtime.files` (the one module that writes output files).

Kept so that ``from dsdcompile.lab.files import ...`` goes on working.
"""

from dsdcompile.runtime.files import (
    FIXED_DATE,
    cell_text,
    markdown_table,
    md_escape,
    normalize_xlsx,
    write_csv,
    write_xlsx,
)

__all__ = ["FIXED_DATE", "cell_text", "markdown_table", "md_escape", "normalize_xlsx", "write_csv", "write_xlsx"]
