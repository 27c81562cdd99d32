"""The `concierge` command: serve the API, seed the demo tenant, chat in the terminal."""

import argparse
import asyncio
import json
import logging
from pathlib import Path

from concierge.tools.settings import Settings, get_settings


def _demo_keys(settings: Settings) -> dict[str, str]:
    from concierge.tools.demo.seed import DEMO_KEYS_FILE

    path = settings.data_dir / DEMO_KEYS_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _example(host: str, port: int, keys: dict[str, str]) -> str:
    base = f"http://{host}:{port}"
    if "secret" not in keys:
        return f"""Concierge is serving at {base}  (API docs: {base}/docs)

Every route but /ok and the docs needs an API key: `concierge seed-demo` makes the demo tenant's, or
`concierge keys create --tenant T --scopes chat` makes one for your own tenant.
"""
    return f"""Concierge is serving the demo tenant (Inkwell & Oak) at {base}  (API docs: {base}/docs)

Demo keys (a convenience of the demo, kept in $CONCIERGE_DATA_DIR/demo-keys.json, mode 0600; real keys are shown once):
  secret, every scope:  {keys["secret"]}
  publishable (widget): {keys.get("publishable", "-")}

Try it (paste into another terminal):

  KEY={keys["secret"]}
  THREAD=$(curl -s -X POST {base}/threads -H "X-Api-Key: $KEY" -H 'Content-Type: application/json' -d '{{}}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["thread_id"])')
  curl -N -X POST {base}/threads/$THREAD/runs/stream -H "X-Api-Key: $KEY" -H 'Content-Type: application/json' \\
    -d '{{"input": {{"messages": [{{"role": "user", "content": "How much is the Kestrel fountain pen?"}}]}}, "stream_mode": ["messages-tuple", "updates"]}}'
  curl -s -X POST {base}/threads/$THREAD/runs/wait -H "X-Api-Key: $KEY" -H 'Content-Type: application/json' -d '{{"command": {{"resume": {{"rating": 5}}}}}}'

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
    print(f"demo keys (a demo convenience): {settings.data_dir / 'demo-keys.json'} (mode 0600)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="concierge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default=None, help="address to bind (default CONCIERGE_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default CONCIERGE_PORT or 8000)")
    sub.add_parser("seed-demo", help="create or refresh the demo tenant (idempotent)")
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
    from concierge.server import admin_cli, documents_cli

    documents_cli.add_parser(sub)
    admin_cli.add_parsers(sub)
    bench = sub.add_parser("bench", help="run a benchmark from benchmarks/ and print its figures")
    bench.add_argument("name", help="benchmark name: a module in benchmarks/ (e.g. retrieval)")
    bench.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the benchmark")
    args = parser.parse_args(argv)
    settings = get_settings()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    if args.command == "seed-demo":
        asyncio.run(_seed(settings))
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
    elif args.command in ("tenants", "keys"):
        admin_cli.run(settings, args)
    elif args.command == "documents":
        raise SystemExit(asyncio.run(documents_cli.run(settings, args)))
    elif args.command == "bench":
        from concierge.server.bench import run_benchmark

        run_benchmark(args.name, args.args)
    elif args.command == "serve":
        import uvicorn

        from concierge.server.app import create_app

        host, port = args.host or settings.host, args.port or settings.port
        print(_example(host, port, _demo_keys(settings)), flush=True)
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


if __name__ == "__main__":
    main()
