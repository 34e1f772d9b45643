"""Command line: ``actlab serve [--host H] [--port P] [--workers N]``."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

from app.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> None:
    try:
        env = Settings.from_env()
    except SettingsError as e:  # a bad ACTLAB_* variable: say which, and stop before serving
        sys.exit(f"actlab: invalid setting: {e}")
    parser = argparse.ArgumentParser(prog="actlab", description="Activation Lab")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start the web app")
    serve.add_argument("--host", default=env.host, help=f"interface to bind (default {env.host}, env ACTLAB_HOST)")
    serve.add_argument("--port", type=int, default=env.port, help=f"port (default {env.port}, env ACTLAB_PORT)")
    serve.add_argument("--workers", type=int, default=env.workers, help=f"worker processes (default {env.workers}, env ACTLAB_WORKERS)")
    serve.add_argument("--log-level", default=env.log_level, help=f"uvicorn and app log level (default {env.log_level}, env ACTLAB_LOG_LEVEL)")
    args = parser.parse_args(argv)
    try:  # the flags obey the same ranges as the variables
        replace(env, host=args.host, port=args.port, workers=args.workers, log_level=args.log_level.lower())
    except SettingsError as e:
        parser.error(f"--{e.field.replace('_', '-')} must be {e.allowed} (got {e.value!r})")

    import uvicorn

    os.environ["ACTLAB_LOG_LEVEL"] = args.log_level.lower()  # worker processes read settings from the environment
    os.environ["ACTLAB_WORKERS"] = str(args.workers)  # e.g. live classes need Redis with several
    os.environ["ACTLAB_HOST"], os.environ["ACTLAB_PORT"] = args.host, str(args.port)  # the public origin's default
    if not env.public_url and args.host in ("0.0.0.0", "::"):
        origin = replace(env, host=args.host, port=args.port).origin
        print(f"actlab: ACTLAB_PUBLIC_URL is not set: the links this server writes (oEmbed, class join links) will start with {origin}", file=sys.stderr)

    uvicorn.run(
        "app.main:app",
        host=args.host,
        port=args.port,
        workers=max(1, args.workers),
        log_level=args.log_level.lower(),
        access_log=False,  # the app logs one structured line per request itself
        **protocol_options(env),
    )


def protocol_options(settings: Settings) -> dict:
    """uvicorn's options for slow and greedy clients, from the settings: the guarded httptools
    protocol (head deadline and size cap, connection ceiling: app/server.py), or h11 with
    uvicorn's own caps where httptools is missing (no head deadline there)."""
    options: dict = {"timeout_keep_alive": settings.keep_alive_s}
    try:
        import httptools  # noqa: F401 — installed with uvicorn[standard]
    except ImportError:
        return {**options, "http": "app.serving:CoalescingH11Protocol", "h11_max_incomplete_event_size": settings.max_header_bytes, "limit_concurrency": settings.max_connections}
    # the guards, and each response's head and body in one write (app/serving.py)
    return {**options, "http": "app.server:ServingProtocol"}


if __name__ == "__main__":
    main()
