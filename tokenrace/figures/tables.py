"""How the report's tables are shown: one header row, the row labels' name in its corner.

pandas draws a table whose index has a name with two header rows: the column names, then a row
holding only the index name (for example "Origin") above empty cells. Readers see that second row
as an empty, misplaced line. :func:`one_header_row` moves the index name into the top-left corner
of the single header row instead, in HTML and in plain text alike.
"""

from __future__ import annotations

import pandas as pd


def one_header_row(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its index name moved to the columns' name (the header row's corner cell).

    The values, the index and the column labels are unchanged; only where the index name is
    drawn changes. A table with a multi-level index or columns is returned as it is.
    """
    if table.index.nlevels > 1 or table.columns.nlevels > 1:
        return table
    name = table.index.name
    return table.rename_axis(index=None, columns=name if name is not None else table.columns.name)
