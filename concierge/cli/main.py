"""The `concierge` command: serve the API, seed the demo tenant, chat in the terminal."""

import argparse
import asyncio
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from concierge.evaluation.synthetic import DEV_BUSINESSES, HOLDOUT_BUSINESSES
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


async def _migrate(settings: Settings) -> str:
    """Bring the app database and the checkpoint tables to this version's schema."""
    from concierge.graph.checkpointer import migrate_checkpoints
    from concierge.tools.db.engine import AppDatabase
    from concierge.tools.db.migrate import head, upgrade

    settings.ensure_dirs()
    db = AppDatabase(settings.app_db_url, settings.database_schema)
    try:
        await upgrade(db.engine)
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
        help="evaluate the Contoso Outdoors data set instead (import its catalog, ingest its manuals); its "
        "question set is concierge/evaluation/sets/contoso_outdoor.jsonl unless --questions names another",
    )
    ev.add_argument(
        "--synthetic",
        choices=[*DEV_BUSINESSES, *HOLDOUT_BUSINESSES],
        default=None,
        help="evaluate a business generated from data (catalog, manuals, questions with references drawn from "
        f"the same data): {', '.join(DEV_BUSINESSES)} are development ones, {' and '.join(HOLDOUT_BUSINESSES)} "
        "holdouts nobody tunes on",
    )
    ev.add_argument(
        "--business",
        default=None,
        metavar="NAME|DIR",
        help="evaluate a business written as shops publish it: one of concierge/evaluation/sets/businesses "
        "(fretline, muddypaws, emberbean, saltshear, dicetower, spokehaus, peakwax and lenscraft are development "
        "ones, framewell, repsmith, bobbinloft, leafwell, tidepool and cruxline holdouts nobody tunes on) or any "
        "folder with "
        "products.csv, docs/ and questions.jsonl (and business.json for its name and currency)",
    )
    ev.add_argument(
        "--split", choices=["dev", "holdout", "holdout2"], default=None, help="only the questions of this split"
    )
    ev.add_argument(
        "--corrections",
        nargs="?",
        type=int,
        const=0,
        default=None,
        metavar="VERSION",
        help="evaluate the tenant's approved corrections instead (an evaluation set version; default the newest)",
    )
    ev.add_argument("--set", dest="eval_set", default=None, help="one of the tenant's evaluation sets, by name")
    ev.add_argument("--set-version", type=int, default=None, help="a version of --set (default the newest)")
    ev.add_argument("--policy", type=int, default=None, help="a policy version (default the tenant's active one)")
    export = sub.add_parser(
        "export-training", help="write approved corrections as OpenAI and Gemini fine-tuning JSONL (80/20 split)"
    )
    export.add_argument("--tenant", default=None, help="tenant id (default CONCIERGE_DEFAULT_TENANT or demo)")
    export.add_argument(
        "--min-quality", type=int, default=4, choices=range(1, 6), help="lowest quality score kept (1-5)"
    )
    export.add_argument("--out", type=Path, default=None, help="output folder (default DATA_DIR/training/TENANT)")
    export.add_argument("--seed", default="concierge", help="seed of the train/validation split")
    catalog = sub.add_parser("catalog", help="manage a tenant's catalog")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True)
    imp = catalog_sub.add_parser("import", help="import products, services or slots from a CSV or JSON file")
    imp.add_argument("file", help="CSV (one kind of row) or JSON (a list, or {products, services, slots})")
    imp.add_argument("--tenant", default=None, help="tenant id (default CONCIERGE_DEFAULT_TENANT or demo)")
    imp.add_argument("--kind", choices=["products", "services", "slots"], default=None, help="rows in a CSV")
    imp.add_argument("--create", action="store_true", help="create the tenant if it does not exist")
    imp.add_argument("--timezone", default="UTC", help="time zone of a tenant created with --create")
    imp.add_argument("--currency", default="EUR", help="currency of a tenant created with --create")
    from concierge.cli import admin as admin_cli
    from concierge.cli import documents as documents_cli
    from concierge.cli import learning as learning_cli

    documents_cli.add_parser(sub)
    admin_cli.add_parsers(sub)
    learning_cli.add_parsers(sub)
    bench = sub.add_parser("bench", help="run a benchmark from benchmarks/ and print its figures")
    bench.add_argument("name", help="benchmark name: a module in benchmarks/ (e.g. retrieval)")
    bench.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the benchmark")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _guarded(args.command, lambda: _dispatch(args))


def _dispatch(args: argparse.Namespace) -> None:
    settings = get_settings()
    if args.command == "seed-demo":
        asyncio.run(_seed(settings))
    elif args.command == "migrate":
        try:
            print(asyncio.run(_migrate(settings)))
        except Exception as exc:
            raise SystemExit(f"concierge migrate: {type(exc).__name__}: {exc}") from None
    elif args.command == "chat":
        from concierge.cli.chat import chat as run_chat

        asyncio.run(run_chat(settings, args.tenant or settings.default_tenant, args.thread))
    elif args.command == "eval":
        from concierge.evaluation.harness import evaluate

        if args.contoso is not None and not (args.contoso / "products.csv").is_file():
            raise SystemExit(f"concierge eval: no Contoso data at {args.contoso} (pass its folder to --contoso)")
        try:
            from concierge.evaluation.harness import business_folder

            business = business_folder(args.business) if args.business else None
        except ValueError as exc:
            raise SystemExit(f"concierge eval: {exc}") from None
        tenant = args.tenant or settings.default_tenant
        corrections, version = args.corrections is not None, args.corrections or None
        asyncio.run(
            evaluate(
                settings,
                tenant,
                args.questions,
                args.json,
                args.contoso,
                args.split,
                corrections,
                version,
                args.eval_set,
                args.set_version,
                args.policy,
                args.synthetic,
                business,
            )
        )
    elif args.command == "export-training":
        from concierge.cli.training import export_training

        tenant = args.tenant or settings.default_tenant
        out = args.out or settings.data_dir / "training" / tenant
        asyncio.run(export_training(settings, tenant, args.min_quality, out, args.seed))
    elif args.command == "catalog":
        from concierge.cli.catalog import import_command

        tenant = args.tenant or settings.default_tenant
        print(
            asyncio.run(
                import_command(settings, Path(args.file), tenant, args.kind, args.create, args.timezone, args.currency)
            )
        )
    elif args.command in ("tenants", "keys"):
        from concierge.cli import admin as admin_cli

        admin_cli.run(settings, args)
    elif args.command in ("compare", "eval-sets", "policies", "experiments", "alerts", "fine-tune"):
        from concierge.cli import learning as learning_cli

        asyncio.run(learning_cli.run(settings, args))
    elif args.command == "documents":
        from concierge.cli import documents as documents_cli

        raise SystemExit(asyncio.run(documents_cli.run(settings, args)))
    elif args.command == "bench":
        from concierge.cli.bench import run_benchmark

        run_benchmark(args.name, args.args)
    elif args.command == "serve":
        import uvicorn

        from concierge.server.app import create_app
        from concierge.server.observability import configure_logging

        host, port = args.host or settings.host, args.port or settings.port
        configure_logging(settings)
        print(_example(host, port, _demo_keys(settings)), flush=True)
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", log_config=None)


def _guarded(command: str, action: Callable[[], None]) -> None:
    """Run a command; a failure becomes one line on stderr and a non-zero exit, never a traceback.

    `CONCIERGE_DEBUG=1` shows the traceback as well, for developers.
    """
    try:
        action()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except SystemExit:
        raise
    except Exception as exc:
        if os.environ.get("CONCIERGE_DEBUG"):
            traceback.print_exc()
        _fail(command, exc)


def _fail(command: str, exc: Exception) -> NoReturn:
    detail = str(getattr(exc, "detail", "") or exc).strip().splitlines()
    message = detail[0] if detail else type(exc).__name__
    if "tenant" in message and "not found" in message:
        message += "; create it with `concierge seed-demo` (the demo) or `concierge catalog import FILE --create`"
    elif isinstance(exc, OSError) and "connect" in message.lower():
        message += "; is the database or service running? (check CONCIERGE_DATABASE_URL)"
    elif type(exc).__module__.startswith(("sqlalchemy", "asyncpg")):
        message = f"database error: {message} (check CONCIERGE_DATABASE_URL and CONCIERGE_DATA_DIR)"
    print(f"concierge {command}: {message}", file=sys.stderr)
    raise SystemExit(1)


if __name__ == "__main__":
    main()
