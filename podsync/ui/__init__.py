"""podsync's window: a local web page served on 127.0.0.1 by ``podsync watch`` and ``podsync ui``.

The page calls the same functions as the command line (fetch, push, the player
and status modules); it is guarded by a Host check, a per-install secret and an
Origin check (``security``), and pushes progress to the browser as server-sent
events (``events``).  Starlette, uvicorn and Jinja2 are imported only here.
"""
