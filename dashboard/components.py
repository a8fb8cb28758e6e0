"""Building blocks the pages share: tables with CSV download, number cards, empty states."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import dash_ag_grid as dag
import pandas as pd
from dash import MATCH, Dash, Input, Output, dcc, html

from core.queries.bedrock import SLICE_COUNTS
from core.timeutil import iso_utc
from dashboard.access import scoped
from dashboard.audit import EXPORT_LOG
from dashboard.context import current_context
from dashboard.filters import parse_filters

MONEY_SUFFIX = "_usd"
MONEY_WORD = "usd"  # bedrock_usd_per_month is money too
PER_MONTH_TOKENS = "tokens_per_month"
RATIO_COLUMNS = frozenset({"used", "projected_use", "change", "share"})
INTEGER_COLUMNS = frozenset({*SLICE_COUNTS, "unpriced_hours", "instance_count", "id"})
HOURS_COLUMNS = frozenset({"hours_in_service", "idle_hours"})


def cell(value: Any) -> Any:
    """A value as the browser table holds it: money and hours as numbers (the edge), times as ISO text."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as JSON-ready dicts for a table."""
    return [
        {column: cell(value) for column, value in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False)
    ]


# How numbers are shown: a d3-format specifier for the browser (AG Grid formats the cells) and
# the same format in Python's mini-language, to size each column to the widest text it will show.
NUMBER_FORMATS: dict[str, tuple[str, str]] = {
    "money": (",.2f", ",.2f"),
    "ratio": (".1%", ".1%"),
    "integer": (",", ",.0f"),
    "hours": (",.1f", ",.1f"),
}
TIME_SUFFIXES = ("_at", "_until", "_since")
# times show as "2026-03-18 11:00" (UTC, as every date on the pages); the CSV keeps ISO 8601
TIME_FORMATTER = "params.value ? params.value.slice(0, 10) + ' ' + params.value.slice(11, 16) : ''"
# Widths in the 12px table font as chromium draws system-ui: digits are wider than the average
# letter, headers are bold. Estimated from the data so that no column is narrower than its
# longest word and the card's spare width goes where the text is long.
DIGIT_PX = 7.7
LETTER_PX = 6.9
HEADER_LETTER_PX = 7.5  # bold (chromium draws "invocations" 78px wide)
CELL_PADDING_PX = 18  # the theme's 8px either side, and the cell's border
TEXT_MAX_CHARS = 40  # longer text wraps inside its cell instead of widening the column
# a longer word (a model id, an instance type) breaks where it must, so that at a laptop's
# 1280px every table fits its card and the cost columns are never behind a horizontal scroll
WORD_MAX_CHARS = 10
GRID_THEME = (
    "themeQuartz.withParams({fontFamily: 'inherit', fontSize: 12, spacing: 4, "
    "cellHorizontalPadding: 8, headerFontWeight: 600, headerBackgroundColor: '#f1f5f9', "
    "wrapperBorderRadius: 6})"
)
EXPORT = "table-export"
EXPORT_BUTTON_STYLE = {
    "fontSize": "12px",
    "padding": "2px 10px",
    "marginBottom": "4px",
    "border": "1px solid #cbd5e1",
    "borderRadius": "4px",
    "background": "white",
    "cursor": "pointer",
}
GRID = "table-grid"


def _label(name: str) -> str:
    return name.replace("_usd", " (USD)").replace("_", " ")


def _kind(name: str) -> str | None:
    if name.endswith(MONEY_SUFFIX) or MONEY_WORD in name.split("_"):
        return "money"
    if name in RATIO_COLUMNS:
        return "ratio"
    if name in INTEGER_COLUMNS or name.endswith(PER_MONTH_TOKENS):
        return "integer"
    if name in HOURS_COLUMNS:
        return "hours"
    if name.endswith(TIME_SUFFIXES):
        return "time"
    return None


def _shown_text(value: Any, kind: str | None) -> str:
    if kind in NUMBER_FORMATS and isinstance(value, int | float):
        return format(value, NUMBER_FORMATS[kind][1])
    if kind == "time" and isinstance(value, str):
        return f"{value[:10]} {value[11:16]}"
    return str(value)


def _text_px(text: str, letter_px: float = LETTER_PX) -> float:
    return sum(DIGIT_PX if char.isdigit() else letter_px for char in text[:TEXT_MAX_CHARS])


def column_widths(name: str, values: Sequence[Any]) -> tuple[int, int]:
    """The narrowest a column may be (its longest word: text wraps) and the width its longest text wants."""
    kind = _kind(name)
    shown = [_shown_text(value, kind) for value in values if value is not None]
    header = max(_text_px(word, HEADER_LETTER_PX) for word in _label(name).split())
    # numbers never wrap and ids (an account's 12 digits) should not: only other words break
    unbroken = kind in NUMBER_FORMATS
    word = max(
        (
            _text_px(word if unbroken or word.isdigit() else word[:WORD_MAX_CHARS])
            for text in shown
            for word in text.split()
        ),
        default=0.0,
    )
    line = max((_text_px(text) for text in shown), default=0.0)
    return round(max(header, word) + CELL_PADDING_PX), round(max(header, line) + CELL_PADDING_PX)


def column_def(name: str, values: Sequence[Any], *, filterable: bool) -> dict[str, Any]:
    """An AG Grid column: numbers right-aligned and formatted, text wrapped, never narrower than a word."""
    narrowest, wanted = column_widths(name, values)
    kind = _kind(name)
    # flex shares out the card's width in proportion to what each column wants
    spec: dict[str, Any] = {
        "field": name,
        "headerName": _label(name),
        "minWidth": narrowest,
        "flex": wanted,
    }
    if kind in NUMBER_FORMATS:
        d3_format = NUMBER_FORMATS[kind][0]
        formatter = f"params.value == null ? '' : d3.format('{d3_format}')(params.value)"
        spec.update(type="rightAligned", valueFormatter={"function": formatter})
    else:
        spec.update(wrapText=True, autoHeight=True, cellStyle={"overflowWrap": "anywhere"})
        if kind == "time":
            spec["valueFormatter"] = {"function": TIME_FORMATTER}
    if filterable:
        spec["filter"] = "agNumberColumnFilter" if kind in NUMBER_FORMATS else "agTextColumnFilter"
    return spec


def highlight_rows(column: str, value: str, **style: str) -> dict[str, Any]:
    """A row style for the rows whose ``column`` shows ``value`` (AG Grid's getRowStyle condition)."""
    return {"condition": f"params.data.{column} === {json.dumps(value)}", "style": style}


def table(
    component_id: str,
    frame: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    page_size: int = 15,
    sortable: bool = True,
    filterable: bool = False,
    highlight: Sequence[dict[str, Any]] = (),
) -> html.Div:
    """An AG Grid of a frame with an Export (CSV) button; money right-aligned with cents."""
    shown = list(columns or frame.columns)
    rows = records(frame[shown]) if not frame.empty else []
    grid = dag.AgGrid(
        id={"type": GRID, "table": component_id},
        columnDefs=[
            column_def(name, [row[name] for row in rows], filterable=filterable) for name in shown
        ],
        rowData=rows,
        defaultColDef={
            "sortable": sortable,
            "floatingFilter": filterable,
            "resizable": True,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
            # the CSV holds the numbers themselves (1234.5), not the text shown (1,234.50)
            "useValueFormatterForExport": False,
        },
        dashGridOptions={
            "theme": {"function": GRID_THEME},
            # the grid grows with its rows and draws every row and column of the page:
            # nothing is hidden behind a scroll bar, and the DOM order is the order shown
            "domLayout": "autoHeight",
            "suppressColumnVirtualisation": True,
            "ensureDomOrder": True,
            "pagination": len(rows) > page_size,
            "paginationPageSize": page_size,
            "paginationPageSizeSelector": False,
        },
        getRowStyle={"styleConditions": list(highlight)} if highlight else None,
        # the header row holds the column ids, as the export command's files do
        csvExportParams={
            "fileName": f"{component_id}.csv",
            "processHeaderCallback": {"function": "params.column.getColDef().field"},
        },
        style={"width": "100%", "height": None},
    )
    export = html.Button(
        "Export CSV",
        id={"type": EXPORT, "table": component_id},
        className="export",
        n_clicks=0,
        style=EXPORT_BUTTON_STYLE,
    )
    tools = html.Div(
        [export, dcc.Store(id={"type": EXPORT_LOG, "table": component_id})],
        style={"display": "flex", "justifyContent": "flex-end"},
    )
    return html.Div([tools, grid], id=component_id, className="table")


def register_table_export(app: Dash) -> None:
    """Every table's Export button downloads its rows (sorted and filtered as shown) as CSV.

    The browser makes the CSV from the rows the page's callback sent (already narrowed to the
    viewer's teams); the click also tells the server, which writes it to the audit log.
    """
    app.clientside_callback(  # type: ignore[no-untyped-call]
        """function(clicks) {
            if (!clicks) { return [window.dash_clientside.no_update, window.dash_clientside.no_update]; }
            return [true, {query: window.location.search, clicks: clicks}];
        }""",
        Output({"type": GRID, "table": MATCH}, "exportDataAsCsv"),
        Output({"type": EXPORT_LOG, "table": MATCH}, "data"),
        Input({"type": EXPORT, "table": MATCH}, "n_clicks"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output({"type": EXPORT, "table": MATCH}, "disabled"),
        Input({"type": EXPORT_LOG, "table": MATCH}, "data"),
        prevent_initial_call=True,
    )
    def exported(data: Any) -> bool:
        query = str(data.get("query") or "") if isinstance(data, dict) else ""
        # the filters the export was made under, as the audit log keeps them
        scoped(parse_filters(dict(parse_qsl(query.lstrip("?"))), current_context().today()))
        return False


def table_section(
    title: str, component_id: str, frame: pd.DataFrame, empty_message: str, **kwargs: Any
) -> html.Div:
    """A titled table, or the reason there is nothing to show."""
    body: Any = (
        table(component_id, frame, **kwargs)
        if not frame.empty
        else html.P(empty_message, className="empty", id=f"{component_id}-empty")
    )
    return html.Div([html.H3(title), body], className="section")


def card(component_id: str, label: str, value: str, note: str = "") -> html.Div:
    """A headline number."""
    return html.Div(
        [
            html.Div(label, className="card-label"),
            html.Div(value, className="card-value", id=component_id),
            html.Div(note, className="card-note"),
        ],
        className="card",
    )


def price_note(component_id: str, what: str, line: str) -> html.P:
    """A line saying where an estimate's prices came from (``what``: the estimate it is about)."""
    return html.P(f"{what} priced from: {line}", id=component_id, className="note price-sources")


def card_row(*cards: html.Div) -> html.Div:
    """Headline numbers in a row."""
    return html.Div(list(cards), className="cards")


def usd(value: Decimal | None) -> str:
    """Money for a headline: $1,234.56 (or n/a when unknown)."""
    return "n/a" if value is None else f"${value:,.2f}"


def graph(component_id: str, figure: Any) -> dcc.Graph:
    """A figure without Plotly's mode bar clutter."""
    return dcc.Graph(
        id=component_id, figure=figure, config={"displaylogo": False, "displayModeBar": "hover"}
    )


def graph_section(component_id: str, figure: Any) -> html.Div:
    """A figure in a section of its own."""
    return html.Div(graph(component_id, figure), className="section")


def grid(*sections: Any) -> html.Div:
    """Sections side by side."""
    return html.Div(list(sections), className="grid")


def page_frame(page: str, title: str, question: str, controls: Any, body_id: str) -> html.Div:
    """A page: its title, the question it answers, its filters and a loading body the callback fills."""
    return html.Div(
        [
            html.H2(title, id=f"{page}-title"),
            html.P(question, className="question"),
            controls,
            dcc.Loading(html.Div(id=body_id), type="circle", delay_show=300),
        ],
        className="page",
        id=f"{page}-page",
    )
