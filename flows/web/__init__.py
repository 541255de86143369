"""The analyst's web console (`newswatch web`, and beside the schedules in `newswatch serve`): a front
end like the CLI, over the same storage and stages, read-only.

`app` (the ASGI application: routes, the guard, errors as pages), `news` (Today, Search, Story),
`panels` (Sources, Coverage, Digests), `charts` (SVG geometry), `server` (binding it safely and
running it with uvicorn), `templates/` (Jinja2, no JavaScript, nothing loaded from elsewhere).
"""
