"""Command line: ``actlab serve [--host H] [--port P] [--workers N]``."""

from __future__ import annotations

import argparse
import os

from app.settings import Settings


def main(argv: list[str] | None = None) -> None:
    env = Settings.from_env()
    parser = argparse.ArgumentParser(prog="actlab", description="Activation Lab")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start the web app")
    serve.add_argument("--host", default=env.host, help=f"interface to bind (default {env.host}, env ACTLAB_HOST)")
    serve.add_argument("--port", type=int, default=env.port, help=f"port (default {env.port}, env ACTLAB_PORT)")
    serve.add_argument("--workers", type=int, default=env.workers, help=f"worker processes (default {env.workers}, env ACTLAB_WORKERS)")
    serve.add_argument("--log-level", default=env.log_level, help="uvicorn and app log level")
    args = parser.parse_args(argv)

    import uvicorn

    os.environ["ACTLAB_LOG_LEVEL"] = args.log_level  # worker processes read settings from the environment

    uvicorn.run(
        "app.main:app",
        host=args.host,
        port=args.port,
        workers=max(1, args.workers),
        log_level=args.log_level,
        access_log=False,  # the app logs one structured line per request itself
    )


if __name__ == "__main__":
    main()
