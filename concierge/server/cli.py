"""The `concierge` command: serve the API, seed the demo tenant, chat in the terminal."""

import argparse
import asyncio
import logging
from pathlib import Path

from concierge.tools.settings import Settings, get_settings


def _example(host: str, port: int) -> str:
    base = f"http://{host}:{port}"
    return f"""Concierge is serving the demo tenant (Inkwell & Oak) at {base}  (API docs: {base}/docs)

Try it (paste into another terminal):

  THREAD=$(curl -s -X POST {base}/threads -H 'Content-Type: application/json' -d '{{}}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["thread_id"])')
  curl -N -X POST {base}/threads/$THREAD/runs/stream -H 'Content-Type: application/json' \\
    -d '{{"input": {{"messages": [{{"role": "user", "content": "How much is the Kestrel fountain pen?"}}]}}, "stream_mode": ["messages-tuple", "updates"]}}'
  curl -s -X POST {base}/threads/$THREAD/runs/wait -H 'Content-Type: application/json' -d '{{"command": {{"resume": {{"rating": 5}}}}}}'

or chat in the terminal:  .venv/bin/concierge chat
"""


async def _seed(settings: Settings) -> None:
    from concierge.tools.demo.seed import seed_demo
    from concierge.tools.toolbox import Toolbox

    tools = await Toolbox.from_settings(settings).open()
    try:
        report = await seed_demo(tools)
    finally:
        await tools.close()
    print("seeded demo tenant 'demo' (Inkwell & Oak): " + ", ".join(f"{k}={v}" for k, v in report.items()))


async def _migrate(settings: Settings) -> str:
    """Bring the app database and the checkpoint tables to this version's schema."""
    from concierge.graph.checkpointer import migrate_checkpoints
    from concierge.tools.appdb import AppDatabase
    from concierge.tools.migrate import head

    settings.ensure_dirs()
    db = AppDatabase(settings.app_db_url, settings.database_schema)
    try:
        await db.create_schema()
    finally:
        await db.dispose()
    checkpoints = await migrate_checkpoints(settings)
    revision = await asyncio.to_thread(head)
    return f"migrated: app database at revision {revision}; checkpoints ready ({checkpoints})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="concierge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default=None, help="address to bind (default CONCIERGE_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default CONCIERGE_PORT or 8000)")
    sub.add_parser("seed-demo", help="create or refresh the demo tenant (idempotent)")
    sub.add_parser(
        "migrate",
        help="upgrade the app database and the checkpoint tables, then exit (a deploy step; then serve with "
        "CONCIERGE_MIGRATE_ON_START=false)",
    )
    chat = sub.add_parser("chat", help="chat with a tenant's agent in the terminal")
    chat.add_argument("--tenant", default=None, help="tenant id (default CONCIERGE_DEFAULT_TENANT or demo)")
    chat.add_argument("--thread", default=None, help="continue this thread id")
    ev = sub.add_parser("eval", help="run a question set through the graph and report answer quality")
    ev.add_argument("--tenant", default=None, help="tenant id (default: the demo tenant)")
    ev.add_argument("--questions", type=Path, default=None, help="JSON Lines question set (default: the demo's)")
    ev.add_argument("--json", type=Path, default=None, help="where to write the JSON report")
    ev.add_argument(
        "--contoso",
        nargs="?",
        type=Path,
        const=Path("../shared/data/contoso-outdoor"),
        default=None,
        help="evaluate the Contoso Outdoors data set instead (import its catalog, ingest its manuals)",
    )
    catalog = sub.add_parser("catalog", help="manage a tenant's catalog")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True)
    imp = catalog_sub.add_parser("import", help="import products, services or slots from a CSV or JSON file")
    imp.add_argument("file", help="CSV (one kind of row) or JSON (a list, or {products, services, slots})")
    imp.add_argument("--tenant", default=None, help="tenant id (default CONCIERGE_DEFAULT_TENANT or demo)")
    imp.add_argument("--kind", choices=["products", "services", "slots"], default=None, help="rows in a CSV")
    imp.add_argument("--create", action="store_true", help="create the tenant if it does not exist")
    imp.add_argument("--timezone", default="UTC", help="time zone of a tenant created with --create")
    imp.add_argument("--currency", default="EUR", help="currency of a tenant created with --create")
    from concierge.server import documents_cli

    documents_cli.add_parser(sub)
    bench = sub.add_parser("bench", help="run a benchmark from benchmarks/ and print its figures")
    bench.add_argument("name", help="benchmark name: a module in benchmarks/ (e.g. retrieval)")
    bench.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the benchmark")
    args = parser.parse_args(argv)
    settings = get_settings()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    if args.command == "seed-demo":
        asyncio.run(_seed(settings))
    elif args.command == "migrate":
        try:
            print(asyncio.run(_migrate(settings)))
        except Exception as exc:
            raise SystemExit(f"concierge migrate: {type(exc).__name__}: {exc}") from None
    elif args.command == "chat":
        from concierge.server.chat import chat as run_chat

        try:
            asyncio.run(run_chat(settings, args.tenant or settings.default_tenant, args.thread))
        except Exception as exc:
            raise SystemExit(f"concierge chat: {getattr(exc, 'detail', exc)}") from exc
    elif args.command == "eval":
        from concierge.server.evaluation import evaluate

        if args.contoso is not None and not (args.contoso / "products.csv").is_file():
            raise SystemExit(f"concierge eval: no Contoso data at {args.contoso} (pass its folder to --contoso)")
        tenant = args.tenant or settings.default_tenant
        asyncio.run(evaluate(settings, tenant, args.questions, args.json, args.contoso))
    elif args.command == "catalog":
        from concierge.server.catalog_cli import import_command

        tenant = args.tenant or settings.default_tenant
        print(
            asyncio.run(
                import_command(settings, Path(args.file), tenant, args.kind, args.create, args.timezone, args.currency)
            )
        )
    elif args.command == "documents":
        raise SystemExit(asyncio.run(documents_cli.run(settings, args)))
    elif args.command == "bench":
        from concierge.server.bench import run_benchmark

        run_benchmark(args.name, args.args)
    elif args.command == "serve":
        import uvicorn

        from concierge.server.app import create_app
        from concierge.server.observability import configure_logging

        host, port = args.host or settings.host, args.port or settings.port
        configure_logging(settings)
        print(_example(host, port), flush=True)
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", log_config=None)


if __name__ == "__main__":
    main()
