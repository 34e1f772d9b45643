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

    from app.serving import PROTOCOL

    os.environ["ACTLAB_LOG_LEVEL"] = args.log_level.lower()  # worker processes read settings from the environment
    os.environ["ACTLAB_WORKERS"] = str(args.workers)  # e.g. live classes need Redis with several

    uvicorn.run(
        "app.main:app",
        host=args.host,
        port=args.port,
        workers=max(1, args.workers),
        log_level=args.log_level.lower(),
        access_log=False,  # the app logs one structured line per request itself
        http=PROTOCOL,  # a response's head and body in one write (see app/serving.py)
    )


if __name__ == "__main__":
    main()
