"""The dashboard's pages, one module each; what every page does alike lives here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from dash import Dash, Output, html

from core.registry import PageEntry, pages
from dashboard.access import scoped
from dashboard.components import page_frame
from dashboard.context import DashboardContext, current_context, options_for
from dashboard.filters import Filters, FilterSpec, parse_filters


def filtered_layout(
    spec: FilterSpec,
    heading: str,
    question: str,
    *,
    extra_keys: tuple[str, ...] = (),
    control: Callable[[Filters, date], Any] | None = None,
) -> Callable[..., html.Div]:
    """The layout of a page of filters set from the URL's query, plus an optional control of its own."""

    def layout(**query: Any) -> html.Div:
        context = current_context()
        today = context.today()
        filters = scoped(parse_filters(query, today, extra_keys=extra_keys))
        with context.sessions() as session:
            teams, accounts, regions = options_for(context, session, filters)
        extra = [control(filters, today)] if control else []
        return page_frame(
            spec.page,
            heading,
            question,
            spec.bar(filters, teams, accounts, regions, *extra),
            f"{spec.page}-body",
        )

    return layout


def register_view(
    app: Dash, spec: FilterSpec, view: Callable[[DashboardContext, Filters], html.Div]
) -> None:
    """Keep the URL in step with the page's filters, and fill ``<page>-body`` from ``view`` on ``app``."""
    spec.register_url_sync(app)

    @app.callback(Output(f"{spec.page}-body", "children"), spec.inputs())
    def update(*values: Any) -> html.Div:
        context = current_context()
        return view(context, scoped(spec.parse(context.today(), values)))


def add_filtered_page(
    spec: FilterSpec,
    module: str,
    layout: Callable[..., html.Div],
    view: Callable[[DashboardContext, Filters], html.Div],
    *,
    label: str,
    title: str,
    order: int,
    path: str | None = None,
) -> None:
    """Register a filtered page named after ``spec``, served at ``path`` (``/<name>`` unless given)."""
    pages.add(
        PageEntry(
            name=spec.page,
            module=module,
            path=path or f"/{spec.page}",
            label=label,
            title=title,
            layout=layout,
            register_callbacks=lambda app: register_view(app, spec, view),
            order=order,
        )
    )
