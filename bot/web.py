"""The HTTP server: image links, health, metrics, Stripe's webhook and checkout pages."""

from __future__ import annotations

import html
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from sqlalchemy import text

from adapters.sql.engine import READONLY_OPTION
from bot.bootstrap import App, utcnow
from core import messages
from core.errors import LinkExpired, LinkInvalid
from core.links import EXPORT, IMAGE, LinkClaim

log = logging.getLogger(__name__)

APP_KEY = web.AppKey("aioe", App)
METRICS_KEY = web.AppKey("metrics", dict)


def _metrics() -> dict[str, object]:
    registry = CollectorRegistry()
    return {
        "registry": registry,
        "requests": Counter(
            "aioe_http_requests", "HTTP requests answered", ["route", "status"], registry=registry
        ),
        "latency": Histogram(
            "aioe_http_request_seconds", "HTTP request time", ["route"], registry=registry
        ),
    }


@web.middleware
async def count_requests(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    metrics = request.app[METRICS_KEY]
    route = (
        request.match_info.route.resource.canonical
        if request.match_info.route.resource
        else "unmatched"
    )
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        metrics["requests"].labels(route, str(status)).inc()
        metrics["latency"].labels(route).observe(time.perf_counter() - started)


def _plain(status: int, text_: str) -> web.Response:
    return web.Response(status=status, text=text_ + "\n", headers={"Cache-Control": "no-store"})


async def healthz(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    try:  # a read-only connection: never waits behind a writer on SQLite
        async with app.engine.execution_options(**{READONLY_OPTION: True}).connect() as db:
            await db.execute(text("SELECT 1"))
    except Exception as error:
        log.warning("health check: the database did not answer (%s)", type(error).__name__)
        return web.json_response({"status": "unavailable"}, status=503)
    return web.json_response({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    registry = request.app[METRICS_KEY]["registry"]
    return web.Response(
        body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


#: Headers of every private file the links hand out.
_PRIVATE = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _claim(request: web.Request, kind: str) -> LinkClaim | web.Response:
    """The token's claim, or the answer to a forged (403) or late (410) one."""
    try:
        return request.app[APP_KEY].links.verify(kind, request.match_info["token"])
    except LinkInvalid:
        return _plain(403, messages.LINK_INVALID)
    except LinkExpired:
        return _plain(410, messages.LINK_EXPIRED)


async def image(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    claim = _claim(request, IMAGE)
    if isinstance(claim, web.Response):
        return claim
    async with app.uow_factory(readonly=True) as uow:
        record = await uow.images.get(claim.target)
    if record is None:
        return _plain(404, messages.IMAGE_GONE)
    try:
        body = await app.blobs.get(record.blob_key)
    except KeyError:
        return _plain(404, messages.IMAGE_GONE)
    await _log_access(app, request, record.account_id, "image", record.id)
    return web.Response(
        body=body,
        headers={
            "Content-Type": record.content_type,
            "Content-Disposition": f'inline; filename="{record.id}.{record.format}"',
            **_PRIVATE,
        },
    )


async def export(request: web.Request) -> web.StreamResponse:
    """An export ZIP, streamed from the blob store; its link lives 24 hours."""
    app = request.app[APP_KEY]
    claim = _claim(request, EXPORT)
    if isinstance(claim, web.Response):
        return claim
    async with app.uow_factory(readonly=True) as uow:
        record = await uow.privacy.export(claim.target)
    if record is None:
        return _plain(404, messages.EXPORT_GONE)
    try:
        size = await app.blobs.size(record.blob_key)
    except KeyError:
        return _plain(404, messages.EXPORT_GONE)
    await _log_access(app, request, record.account_id, "export", record.id)
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/zip",
            "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="aioe-export-{record.id}.zip"',
            **_PRIVATE,
        }
    )
    await response.prepare(request)
    async for chunk in app.blobs.stream(record.blob_key):
        await response.write(chunk)
    await response.write_eof()
    return response


def coarse_client(request: web.Request) -> tuple[str, str]:
    """What the access log keeps of a client: its network, not its address (the first
    three octets of IPv4, the first 48 bits of IPv6: enough to tell a leak from the
    owner's own use), and the kind of client, not its full user agent."""
    network = ""
    try:
        address = ipaddress.ip_address(request.remote or "")
        prefix = 24 if address.version == 4 else 48
        network = str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    except ValueError:
        pass
    agent = request.headers.get("User-Agent", "").lower()
    kinds = (
        ("slackbot", "slack preview"),
        ("discordbot", "discord preview"),
        ("curl", "command line"),
        ("wget", "command line"),
        ("mozilla", "browser"),
    )
    client = next((kind for token, kind in kinds if token in agent), "other" if agent else "")
    return network, client


async def _log_access(
    app: App, request: web.Request, account_id: str, action: str, target: str
) -> None:
    network, client = coarse_client(request)
    try:
        async with app.uow_factory() as uow:
            await uow.privacy.log_access(
                account_id,
                "link",
                action,
                utcnow(),
                target=target,
                network=network,
                client=client,
            )
            await uow.commit()
    except Exception:  # a link still works when its hit cannot be written down
        log.warning("could not record a link access", exc_info=True)


#: The pages Stripe sends people back to (nothing personal: the same page for everyone).
CHECKOUT_PAGES = {
    "done": (
        "Thank you",
        "All done on Stripe's side. Credits from a payment arrive in your chat as soon as "
        "Stripe confirms it, usually within a minute; /credits shows your balance.",
    ),
    "cancelled": (
        "Nothing was charged",
        "You left the payment page before paying. /buy in your chat starts again whenever "
        "you like.",
    ),
}
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · AIOE</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto;">
<h1>{title}</h1><p>{text}</p><p>You can close this tab and go back to the chat.</p>
</body></html>
"""


async def checkout_page(request: web.Request) -> web.Response:
    title, text_ = CHECKOUT_PAGES[request.match_info["outcome"]]
    return web.Response(
        text=_PAGE.format(title=html.escape(title), text=html.escape(text_)),
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


async def stripe_webhook(request: web.Request) -> web.Response:
    """Stripe's events: verified, then applied once; 400 for a delivery that is not
    Stripe's, 409 for a refund whose purchase has not arrived yet and 500 for our own
    failure (Stripe sends both again later), 200 for everything else."""
    from adapters.payments.stripe import InvalidWebhook, read_event

    app = request.app[APP_KEY]
    payload = await request.read()
    try:
        event = read_event(
            payload,
            request.headers.get("Stripe-Signature"),
            app.settings.stripe_webhook_secret or "",
            app.bot.billing.catalogue,
        )
    except InvalidWebhook as error:
        log.warning("refused a Stripe webhook delivery: %s", error)
        return web.json_response({"error": str(error)}, status=400)
    try:
        if app.stripe is not None:
            event = await app.stripe.complete(event)
        applied = await app.bot.billing.apply(event)
    except Exception:
        log.exception("could not apply Stripe event %s", event.id)
        return web.json_response({"error": "not applied; Stripe will send it again"}, status=500)
    if applied.later:
        return web.json_response({"error": "its purchase has not arrived yet"}, status=409)
    return web.json_response({"received": True})


def create_web_app(app: App) -> web.Application:
    web_app = web.Application(middlewares=[count_requests])
    web_app[APP_KEY] = app
    web_app[METRICS_KEY] = _metrics()
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)
    web_app.router.add_get("/i/{token}", image)
    web_app.router.add_get("/x/{token}", export)
    web_app.router.add_get("/checkout/{outcome:done|cancelled}", checkout_page)
    if app.settings.stripe_webhook_secret:
        web_app.router.add_post("/stripe/webhook", stripe_webhook)
    if app.slack is not None and app.slack.config.signing_secret:
        _mount_slack(web_app, app)
    return web_app


def _mount_slack(web_app: web.Application, app: App) -> None:
    """Slack's commands, events and interactivity (signatures verified by bolt), and
    the OAuth install pages when Slack OAuth is configured."""
    from adapters.slack.http import mount

    assert app.slack is not None
    mount(web_app.router, app.slack.bolt_app(app.bot, app.catalog))


async def start_web(app: App, host: str, port: int) -> web.AppRunner:
    """Start serving in the background; the caller cleans the runner up."""
    runner = web.AppRunner(create_web_app(app), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        await runner.cleanup()
        raise SystemExit(
            messages.CANNOT_LISTEN.format(host=host, port=port, reason=error.strerror)
        ) from None
    return runner
