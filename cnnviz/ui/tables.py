"""Every read-only table of the app goes through `data_table`: projected, a plain HTML table the back of a room can read.

Streamlit's data grid draws its cells on a canvas at about 16.6 px, beyond the presentation style's reach (text
at 18 px or more); on screen it stays, sortable and scrollable. Projected, the same rows become an HTML table:
whole numbers with thousands separators (what the grid's "localized" columns showed), no index.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz.ui.settings import current


def _cell(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return "" if np.isnan(f) else f"{f:,.6g}" if abs(f) < 1e6 else f"{f:,.0f}"
    return "" if v is None else str(v)


def data_table(data: Any, where: Any = st, **grid: Any) -> None:
    """`data` (a DataFrame, or rows for one) as the data grid on screen (`grid`: its keyword arguments) or, projected,
    as an HTML table."""
    if not current().presentation:
        where.dataframe(data, **grid)
        return
    df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    where.table(df.style.hide(axis="index").format(_cell))
