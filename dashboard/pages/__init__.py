"""The dashboard's pages, one module each; what every page does alike lives here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from dash import Dash, Output, html
from flask import Flask, Response, request

from core.registry import PageEntry, pages
from dashboard.access import scoped
from dashboard.cache import cached_view
from dashboard.components import page_frame
from dashboard.context import DashboardContext, current_context, options_for
from dashboard.filters import BadFilter, Filters, FilterSpec, parse_filters

# a page's own check of its parsed filters (the Weekly page's week), raising BadFilter
Check = Callable[[Filters, date], object]


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


def bad_filter_message(page: str, problem: BadFilter) -> html.Div:
    """What a page shows instead of its figures when a filter cannot be shown."""
    return html.Div(
        html.P(f"Cannot show this view: {problem}", className="empty", id=f"{page}-bad-filter")
    )


def _guarded_layout(page: str, layout: Callable[..., html.Div]) -> Callable[..., html.Div]:
    """The page's layout, or the reason its URL cannot be shown (for navigation inside the app)."""

    def guarded(**query: Any) -> html.Div:
        try:
            return layout(**query)
        except BadFilter as problem:
            return html.Div(bad_filter_message(page, problem), className="page")

    return guarded


def _query_values(page_request: Any) -> dict[str, Any]:
    """The query string as Dash hands it to a layout: one value, or a list for a repeated key."""
    return {
        key: values[0] if len(values) == 1 else values for key, values in page_request.args.lists()
    }


def install_url_check(server: Flask, path: str, spec: FilterSpec, check: Check | None) -> None:
    """Answer a request for the page at ``path`` whose filters cannot be shown with 400 and why."""
    keys = tuple(key for key, _component, _prop in spec.extra)

    def refuse_bad_filters() -> Response | None:
        if request.method != "GET" or (request.path.rstrip("/") or "/") != path:
            return None
        today = current_context().today()
        try:
            filters = parse_filters(_query_values(request), today, extra_keys=keys)
            if check is not None:
                check(filters, today)
        except BadFilter as problem:
            return Response(f"bad filter in the URL: {problem}\n", 400, mimetype="text/plain")
        return None

    server.before_request(refuse_bad_filters)


def register_view(
    app: Dash,
    spec: FilterSpec,
    view: Callable[[DashboardContext, Filters], html.Div],
) -> None:
    """Keep the URL in step with the page's filters, and fill ``<page>-body`` from ``view`` on ``app``;
    filters that cannot be shown fill it with the reason instead."""
    spec.register_url_sync(app)
    answer = cached_view(spec.page, view)  # the one place every page's view is cached

    @app.callback(Output(f"{spec.page}-body", "children"), spec.inputs())
    def update(*values: Any) -> html.Div:
        context = current_context()
        try:
            return answer(context, scoped(spec.parse(context.today(), values)))
        except BadFilter as problem:
            return bad_filter_message(spec.page, problem)


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
    check: Check | None = None,
    callbacks: Callable[[Dash], None] | None = None,
) -> None:
    """Register a filtered page named after ``spec``, served at ``path`` (``/<name>`` unless given);
    ``check`` refuses what the page's own filters cannot mean, as the shared ones are refused;
    ``callbacks`` binds the page's own further callbacks."""
    path = path or f"/{spec.page}"

    def register_callbacks(app: Dash) -> None:
        install_url_check(app.server, path, spec, check)
        register_view(app, spec, view)
        if callbacks is not None:
            callbacks(app)

    pages.add(
        PageEntry(
            name=spec.page,
            module=module,
            path=path,
            label=label,
            title=title,
            layout=_guarded_layout(spec.page, layout),
            register_callbacks=register_callbacks,
            order=order,
        )
    )
