"""The ``aioe`` command line; heavy libraries are imported only by the commands that use them."""

from __future__ import annotations

import gc
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Coroutine
    from contextlib import AbstractAsyncContextManager
    from typing import Any

    from bot.bootstrap import App
    from bot.settings import Settings

app = typer.Typer(
    name="aioe",
    help="AIOE: marketing images from product photos, pages and prompts.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
credits_app = typer.Typer(
    help="Operator credit tools.", add_completion=False, rich_markup_mode=None
)
app.add_typer(credits_app, name="credits")
discord_app = typer.Typer(
    help="The Discord gateway and application commands.",
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(discord_app, name="discord")
privacy_app = typer.Typer(
    help="Operator handling of privacy requests that arrive by e-mail.",
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(privacy_app, name="privacy")
_USER_HELP = "platform:namespace:user_id (Slack: the team; Discord: global) or an account id."
_RECEIVED_HELP = "When the e-mail arrived (YYYY-MM-DD); today if not given."


def _settings() -> Settings:
    from pydantic import ValidationError

    from bot.logs import configure_logging
    from bot.settings import Settings, describe_errors

    try:
        settings = Settings()
    except ValidationError as error:
        sys.stderr.writelines(f"{sentence}\n" for sentence in describe_errors(error))
        raise SystemExit(2) from None
    configure_logging(settings.log_level)
    return settings


def _listen_address(settings: Settings, host: str | None, port: int | None) -> tuple[str, int]:
    """Where the HTTP server listens: options, then AIOE_LISTEN_HOST/PORT; a loopback
    AIOE_PUBLIC_URL also gives its port (so local links and the server agree)."""
    public = urlsplit(settings.public_url)
    local = public.hostname in {"127.0.0.1", "localhost", "::1"}
    default_port = public.port if local and public.port else 8080
    return host or settings.listen_host, port or settings.listen_port or default_port


@app.command()
def run() -> None:
    """Everything configured, in one process: web server, worker and the terminal chat."""
    settings = _settings()
    host, port = _listen_address(settings, None, None)
    _until_interrupted(_run_all(settings, host, port))


async def _run_all(settings: Settings, host: str, port: int) -> None:
    from bot.web import start_web

    async with _built(settings) as built, _receivers(built), _gateway(built):
        runner = await start_web(built, host, port)
        try:
            sys.stdout.write(f"AIOE is ready. Links are served at {settings.public_url}\n")
            if sys.stdin.isatty():
                sys.stdout.write("Type /help for the commands, Ctrl-D to leave.\n")
                await _chat(built, "you", json_mode=False)
            else:  # under a service manager: serve and work until stopped
                sys.stdout.flush()
                await built.run_worker(built.worker())
        finally:
            await runner.cleanup()


def _receivers(built: App) -> AbstractAsyncContextManager[None]:
    """Platform connections that receive requests without HTTP: Slack's Socket Mode."""
    import contextlib

    slack = built.slack
    if slack is not None and slack.config.app_token:
        return slack.socket_mode(built.bot, built.catalog)
    return contextlib.nullcontext()


@asynccontextmanager
async def _gateway(built: App) -> AsyncIterator[None]:
    """``aioe run`` holds the Discord gateway too when ``DISCORD_TOKEN`` is set (never
    ``aioe serve``: its replicas would each receive every interaction)."""
    import asyncio

    if built.discord is None:
        yield
        return
    task = asyncio.create_task(built.discord.run_gateway(built.bot, built.catalog))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _chat(built: App, user: str, *, json_mode: bool) -> None:
    import asyncio

    from adapters.console.chat import ConsoleChat, piped_lines, typed_lines

    chat = ConsoleChat(
        built.bot,
        built.uow_factory,
        user=user,
        json_mode=json_mode,
        lease=built.endpoint_lease,
    )
    built.deliveries.register(chat.route, chat)
    worker = built.worker()
    worker.on_finished(chat.job_finished)
    task = asyncio.create_task(built.run_worker(worker))
    try:
        interactive = sys.stdin.isatty() and not json_mode
        await chat.run(typed_lines(chat) if interactive else piped_lines(sys.stdin))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@app.command()
def chat(
    user: Annotated[str, typer.Option(help="Who you are in the chat.")] = "you",
    json: Annotated[bool, typer.Option("--json", help="One JSON object per reply.")] = False,
) -> None:
    """The terminal chat with an in-process worker (reads a pipe line by line)."""
    settings = _settings()

    async def main() -> None:
        async with _built(settings) as built:
            await _chat(built, user, json_mode=json)

    _until_interrupted(main())


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
) -> None:
    """The HTTP server only (links, health, metrics)."""
    settings = _settings()
    host, port = _listen_address(settings, host, port)

    async def main() -> None:
        import asyncio

        from bot.web import start_web

        async with _built(settings) as built, _receivers(built):
            runner = await start_web(built, host, port)
            sys.stdout.write(f"serving on http://{host}:{port}\n")
            sys.stdout.flush()
            try:
                await asyncio.Event().wait()
            finally:
                await runner.cleanup()

    _until_interrupted(main())


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Jobs run at once.")] = 1,
    drain: Annotated[
        bool, typer.Option("--drain", help="Exit once no job is due (for cron and tests).")
    ] = False,
) -> None:
    """A job worker only; run any number of them, on any number of machines."""
    settings = _settings()

    async def main() -> None:
        import asyncio

        async with _built(settings) as built:
            await built.upkeep()
            workers = [built.worker() for _ in range(concurrency)]
            if not built.deliveries.routes():
                sys.stderr.write(
                    "No chat platform is configured, so this worker takes no jobs; it "
                    "still returns the credits of jobs whose chat session ended.\n"
                )
            if drain:
                done = await asyncio.gather(*(w.drain() for w in workers))
                await built.outbox.flush()
                sys.stdout.write(f"{sum(done)} job(s) run\n")
            else:
                await asyncio.gather(*(built.run_worker(w) for w in workers))

    _until_interrupted(main())


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    settings = _settings()
    from adapters.sql.engine import migrate as apply

    _resume_collection()
    apply(settings.resolved_database_url, settings.resolved_secret_key())
    typer.echo("database is up to date")


@app.command()
def templates() -> None:
    """List templates and formats."""
    from bot.settings import CONFIG_DIR
    from core.templates import load_catalog

    catalog = load_catalog(CONFIG_DIR / "templates.toml")
    for t in catalog.templates.values():
        typer.echo(f"{t.name:<16} {t.default_format:<11} {t.description}")
    typer.echo("")
    for f in catalog.formats.values():
        typer.echo(f"{f.name:<11} {f.width}×{f.height}  {f.description}")


@credits_app.command("grant", context_settings={"ignore_unknown_options": True})
def credits_grant(
    user: Annotated[
        str,
        typer.Argument(
            help="platform:namespace:user_id (Slack: the team; Discord: global) or an account id."
        ),
    ],
    amount: Annotated[int, typer.Argument(help="Credits to add (negative to take away).")],
    reason: Annotated[str, typer.Option(help="Why, for the ledger.")] = "operator grant",
) -> None:
    """Add (or remove) credits."""
    settings = _settings()

    async def main() -> None:
        from bot.operator import grant

        await grant(settings, user, amount, reason)

    _run(main())


@credits_app.command("show")
def credits_show(
    user: Annotated[
        str,
        typer.Argument(
            help="platform:namespace:user_id (Slack: the team; Discord: global) or an account id."
        ),
    ],
) -> None:
    """Balance and the last movements."""
    settings = _settings()

    async def main() -> None:
        from bot.operator import show

        await show(settings, user)

    _run(main())


@privacy_app.command("export")
def privacy_export(
    user: Annotated[str, typer.Argument(help=_USER_HELP)],
    out: Annotated[Path | None, typer.Option(help="Where to write the ZIP.")] = None,
) -> None:
    """Write a person's data export (the ZIP /privacy export makes) to a file."""
    settings = _settings()

    async def main() -> None:
        from bot.privacy_ops import export

        await export(settings, user, out)

    _run(main())


@privacy_app.command("delete")
def privacy_delete(
    user: Annotated[str, typer.Argument(help=_USER_HELP)],
    received: Annotated[str | None, typer.Option(help=_RECEIVED_HELP)] = None,
) -> None:
    """Erase a person's account now, as /delete-me does."""
    settings = _settings()

    async def main() -> None:
        from bot.privacy_ops import delete

        await delete(settings, user, received)

    _run(main())


@privacy_app.command("record")
def privacy_record(
    user: Annotated[str, typer.Argument(help=_USER_HELP)],
    kind: Annotated[
        str,
        typer.Argument(help="access, rectification, erasure, restriction, objection or consent."),
    ],
    received: Annotated[str | None, typer.Option(help=_RECEIVED_HELP)] = None,
) -> None:
    """Record a request that arrived by e-mail: open, due within 30 days."""
    settings = _settings()

    async def main() -> None:
        from bot.privacy_ops import record

        await record(settings, user, kind, received)

    _run(main())


@privacy_app.command("requests")
def privacy_requests() -> None:
    """Open privacy requests with their 30-day due dates."""
    settings = _settings()

    async def main() -> None:
        from bot.privacy_ops import requests

        await requests(settings)

    _run(main())


@app.command()
def sweep() -> None:
    """Retention sweeps: old uploads, access log, expired exports, leftovers; idempotent."""
    settings = _settings()

    async def main() -> None:
        from bot.privacy_ops import sweep as run_sweep

        await run_sweep(settings)

    _run(main())


def _discord_side(built: App) -> Any:
    if built.discord is None:
        raise SystemExit("DISCORD_TOKEN is not set: there is no Discord bot to run.")
    return built.discord


@discord_app.command("run")
def discord_run(
    shard_ids: Annotated[
        str | None, typer.Option(help="Comma-separated shard ids this process holds.")
    ] = None,
    shard_count: Annotated[
        int | None, typer.Option(min=1, help="Shards in all (with --shard-ids).")
    ] = None,
) -> None:
    """The Discord gateway client: answers interactions (one process per shard set)."""
    settings = _settings()
    ids = [int(part) for part in shard_ids.split(",")] if shard_ids else None
    if ids is not None and not shard_count:
        raise SystemExit("--shard-ids needs --shard-count.")

    async def main() -> None:
        async with _built(settings) as built:
            side = _discord_side(built)
            sys.stdout.write("connecting to the Discord gateway\n")
            sys.stdout.flush()
            await side.run_gateway(built.bot, built.catalog, shard_ids=ids, shard_count=shard_count)

    _until_interrupted(main())


@discord_app.command("sync")
def discord_sync(
    guild: Annotated[
        str | None, typer.Option(help="Register in one guild only (for development).")
    ] = None,
) -> None:
    """Register the application commands with Discord (one bulk overwrite)."""
    settings = _settings()

    async def main() -> None:
        from bot.bootstrap import bootstrap

        async with bootstrap(settings) as built:
            names = await _discord_side(built).sync(built.catalog, guild)
        where = f"guild {guild}" if guild else "every server"
        typer.echo(f"registered {len(names)} commands in {where}: {', '.join(sorted(names))}")

    _run(main())


@asynccontextmanager
async def _built(settings: Settings) -> AsyncIterator[App]:
    """The app of a command that runs until it is stopped; once it is built, start-up is
    over and garbage collection resumes (see ``main``)."""
    from bot.bootstrap import bootstrap

    async with bootstrap(settings) as built:
        _resume_collection()
        yield built


def _resume_collection() -> None:
    """Collect garbage again, leaving what start-up made (it lives as long as the process)
    out of every later collection."""
    gc.freeze()
    gc.enable()


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a command that ends by itself (collecting garbage while it works)."""
    import asyncio

    _resume_collection()
    asyncio.run(coroutine)


def _until_interrupted(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run until done or stopped: Ctrl-C, SIGTERM and SIGHUP all cancel the work, so
    workers hand their jobs back and a terminal cancels what it started."""
    import asyncio
    import contextlib
    import signal

    async def stoppable() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        for stop in (signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(stop, task.cancel)
        await coroutine

    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(stoppable())


def main() -> None:
    # Starting makes a few hundred thousand objects that live as long as the process
    # (modules, classes, models) and next to no garbage, so collecting meanwhile only
    # walks them again and again: about an eighth of the time ``aioe serve`` takes to be
    # ready. Collection resumes when the command's own work begins.
    gc.disable()
    app()
