"""`python -m bot`: run the bot (default), a worker, the orphan cleanup, or the playground.

Every role but the playground needs a real token: without one it refuses to start, so a
production deployment can never fall back to a playground by accident.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from bot.app import build_application
from bot.lifecycle import running
from bot.logs import configure_logging
from core.errors import ConfigError
from core.settings import Settings
from core.settings_loading import load_settings

log = logging.getLogger("bot")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="AIVenger: a Telegram bot that turns selfies into superhero avatars.",
    )
    roles = parser.add_subparsers(dest="command", metavar="COMMAND")
    roles.add_parser("run", help="receive updates + workers + sweeper (the default)")
    roles.add_parser("worker", help="workers + sweeper only: no polling, scales out generations")
    cleanup = roles.add_parser("cleanup", help="report, then remove, orphan blobs and stale rows")
    cleanup.add_argument("--dry-run", action="store_true", help="report only, remove nothing")
    cleanup.add_argument(
        "--min-age",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="touch no blob written and no row changed in the last SECONDS (default 3600: "
        "an upload or a generation in flight is not an orphan)",
    )
    play = roles.add_parser(
        "playground",
        help="the bot in a local browser chat: no Telegram token, no configuration needed",
    )
    play.add_argument("--port", type=int, default=8800, help="page port on 127.0.0.1 (8800)")
    play.add_argument("--no-browser", action="store_true", help="print the address only")
    play.add_argument("--keep", action="store_true", help="keep the scratch database and files")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "playground":
        from playground.run import main as play

        return play(port=args.port, open_browser=not args.no_browser, keep=args.keep)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"aivenger: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        if args.command == "worker":
            asyncio.run(run_worker(settings))
        elif args.command == "cleanup":
            from bot.cleanup import run_cleanup

            return int(
                asyncio.run(run_cleanup(settings, dry_run=args.dry_run, min_age=args.min_age))
            )
        else:
            run_receiver(settings)
    except Exception as exc:
        log.critical("stopped: %s", exc, exc_info=settings.log_level == "DEBUG")
        return 1
    return 0


def run_receiver(settings: Settings) -> None:
    """Polling, or the webhook when WEBHOOK_URL is set; every update goes through the durable
    inbox (stored before Telegram forgets it). SIGINT or SIGTERM stops it cleanly."""
    asyncio.run(_serve(settings, receive=True))


async def run_worker(settings: Settings) -> None:
    """Generations only: claims jobs and delivers avatars through the Bot API itself."""
    await _serve(settings, receive=False)


async def _serve(settings: Settings, *, receive: bool) -> None:
    stop = asyncio.Event()
    failure: list[BaseException] = []
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def failed(error: BaseException) -> None:
        failure.append(error)
        stop.set()

    role = "receiver" if receive else "worker"
    application = build_application(settings, receive=receive)
    async with running(application, poll=receive, on_failure=failed):
        log.info("%s running; SIGTERM stops it", role)
        await stop.wait()
    if failure:
        raise failure[0]
    log.info("%s stopped", role)


if __name__ == "__main__":
    sys.exit(main())
