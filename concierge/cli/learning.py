"""`concierge compare`, `eval-sets`, `policies`, `experiments`, `alerts`: learning without breaking, from the shell.

The same operations as the `/eval-sets`, `/policies`, `/experiments` and `/alerts` routes, on the app database of
`CONCIERGE_DATA_DIR` / `CONCIERGE_DATABASE_URL`. A mistake (unknown policy or set, a bad setting) is one line on
stderr and exit 1 (`cli.main._guarded`).
"""

import argparse
import getpass
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from concierge.tools.db.base import utcnow
from concierge.tools.learning.compare import render
from concierge.tools.learning.evalsets import EvalSetNotFound, parse_jsonl, team_sets
from concierge.tools.learning.experiments import GATE_METRICS, Experiments, experiment_json
from concierge.tools.learning.policies import event_json, policy_json
from concierge.tools.learning.signals import figures
from concierge.tools.settings import Settings

if TYPE_CHECKING:
    from concierge.server.deps import AppState

DEFAULT_SET = "demo-questions"


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _tenant(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tenant", default=None, help="tenant id (default CONCIERGE_DEFAULT_TENANT or demo)")


def add_parsers(sub: Any) -> None:
    cmp = sub.add_parser("compare", help="run an evaluation set through two policies and recommend one")
    cmp.add_argument("a", type=int, help="the current policy version (0: the tenant's settings alone)")
    cmp.add_argument("b", type=int, help="the candidate policy version")
    _tenant(cmp)
    cmp.add_argument("--set", default=DEFAULT_SET, help=f"evaluation set name (default {DEFAULT_SET}; a team set is "
                     "imported on first use)")  # fmt: skip
    cmp.add_argument("--set-version", type=int, default=None, help="a version of the set (default the newest)")
    cmp.add_argument("--json", type=Path, default=None, help="also write the JSON report here")

    sets = sub.add_parser("eval-sets", help="the tenant's versioned evaluation sets").add_subparsers(
        dest="evalsets_command", required=True
    )
    ls = sets.add_parser("list", help="the tenant's sets and the team's sets")
    _tenant(ls)
    show = sets.add_parser("show", help="one version of a set, as JSON Lines")
    show.add_argument("name")
    show.add_argument("--version", type=int, default=None)
    _tenant(show)
    imp = sets.add_parser("import", help="a new version of a set from a file, a team set or the corrections")
    imp.add_argument("name")
    src = imp.add_mutually_exclusive_group(required=True)
    src.add_argument("--file", type=Path, help="a JSON Lines file of cases")
    src.add_argument("--team", action="store_true", help="the team's set of this name")
    src.add_argument("--corrections", action="store_true", help="the tenant's approved corrections")
    imp.add_argument("--add", action="store_true", help="add the file's cases to the newest version's")
    _tenant(imp)

    pol = sub.add_parser("policies", help="the tenant's versioned policies").add_subparsers(
        dest="policies_command", required=True
    )
    _tenant(pol.add_parser("list", help="versions, the active one, the running experiment"))
    _tenant(pol.add_parser("events", help="activations, rollbacks and experiment steps, newest first"))
    create = pol.add_parser("create", help="a new version from KEY=VALUE settings (values as JSON)")
    create.add_argument("--set", dest="pairs", action="append", default=[], metavar="KEY=VALUE")
    create.add_argument("--note", default="")
    create.add_argument("--activate", action="store_true", help="make it active at once")
    _tenant(create)
    act = pol.add_parser("activate", help="make a version active (watched against the one it replaces)")
    act.add_argument("version", type=int)
    act.add_argument("--reason", default="")
    _tenant(act)
    rb = pol.add_parser("rollback", help="back to the policy the active one replaced")
    rb.add_argument("--reason", required=True)
    _tenant(rb)

    exp = sub.add_parser("experiments", help="A/B rollout of a policy").add_subparsers(
        dest="experiments_command", required=True
    )
    _tenant(exp.add_parser("list"))
    start = exp.add_parser("start", help="run the evaluation gate, then start at 10 %%")
    start.add_argument("treatment", type=int, help="the policy version to roll out")
    start.add_argument("--set", default=DEFAULT_SET, help="evaluation set of the gate")
    start.add_argument("--set-version", type=int, default=None)
    start.add_argument("--metric", choices=GATE_METRICS, default="facts_correct")
    start.add_argument("--threshold", type=float, default=0.8)
    start.add_argument("--unit", choices=["customer", "thread"], default="customer")
    start.add_argument("--min-turns", type=int, default=30)
    _tenant(start)
    ev = exp.add_parser("evaluate", help="step the running experiment, watch for a rollback, check alerts now")
    _tenant(ev)
    stop = exp.add_parser("stop", help="cancel an experiment: everyone back on the control")
    stop.add_argument("id")
    stop.add_argument("--reason", default="")
    _tenant(stop)

    ft = sub.add_parser("fine-tune", help="fine-tune a model on approved corrections (needs an OpenAI key)")
    ft_sub = ft.add_subparsers(dest="finetune_command", required=True)
    fts = ft_sub.add_parser("start", help="export approved corrections and submit a fine-tuning job")
    fts.add_argument("--base-model", default="gpt-4o-mini-2024-07-18")
    fts.add_argument("--min-quality", type=int, default=4, choices=range(1, 6))
    fts.add_argument("--wait", action="store_true", help="follow the job until it ends, then register its model")
    fts.add_argument("--poll-s", type=float, default=30.0, help="seconds between status checks with --wait")
    _tenant(fts)
    ftst = ft_sub.add_parser("status", help="ask OpenAI how a job is doing; register its model once it succeeded")
    ftst.add_argument("job_id")
    _tenant(ftst)
    _tenant(ft_sub.add_parser("list"))

    al = sub.add_parser("alerts", help="the tenant's alerts").add_subparsers(dest="alerts_command", required=True)
    lst = al.add_parser("list")
    lst.add_argument("--status", choices=["open", "resolved"], default=None)
    _tenant(lst)
    _tenant(al.add_parser("check", help="check every rule now; a rule newly firing sends one alert"))


@asynccontextmanager
async def _app(settings: Settings, warm: bool = False) -> AsyncIterator["AppState"]:
    """The tools and a graph on an in-memory checkpointer (imported here: `concierge --help` stays quick).

    `warm` for the commands that run the graph over a set (compare, experiments start); the others never search.
    """
    from langgraph.checkpoint.memory import InMemorySaver

    from concierge.graph.graph import build_graph
    from concierge.server.deps import AppState
    from concierge.tools.toolbox import Toolbox

    tools = await Toolbox.from_settings(settings).open(warm=warm)
    try:
        yield AppState(tools=tools, graph=build_graph(InMemorySaver()))
    finally:
        await tools.close()


async def _ensure_set(app: "AppState", tenant: str, name: str) -> None:
    """A team set the tenant has not imported yet is imported on first use (a set of its own keeps its versions)."""
    try:
        await app.tools.evalsets.get(tenant, name)
    except EvalSetNotFound:
        if name not in team_sets():
            raise
        row, _ = await app.tools.evalsets.import_team(tenant, name, _actor())
        print(f"imported the team's set {name} as version {row.version}")


def _value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


async def run(settings: Settings, args: argparse.Namespace) -> None:
    tenant = args.tenant or settings.default_tenant
    searches = args.command == "compare" or getattr(args, "experiments_command", None) == "start"
    async with _app(settings, warm=searches) as app:
        await _check_tenant(app, tenant)
        await _run(app, tenant, args)


async def _check_tenant(app: "AppState", tenant: str) -> None:
    await app.tenant_context(tenant)  # "tenant 'x' not found" as one line


async def _run(app: "AppState", tenant: str, args: argparse.Namespace) -> None:
    # Alerts bring httpx (and its command line's click and rich): imported when a command runs, not to parse one.
    from concierge.tools.learning.alerts import alert_json
    from concierge.tools.learning.watch import tick

    tools, cmd = app.tools, args.command
    if cmd == "compare":
        from concierge.server.evaluation import compare_policies

        await _ensure_set(app, tenant, args.set)
        report = await compare_policies(app, tenant, args.a, args.b, args.set, args.set_version)
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
        print(render(report))
    elif cmd == "eval-sets":
        sub = args.evalsets_command
        if sub == "list":
            for s in await tools.evalsets.summaries(tenant):
                print(f"{s['name']}@{s['version']}  {s['cases_count']} cases  {s['versions']} versions  {s['origin']}")
            print("team sets: " + ", ".join(sorted(team_sets())))
        elif sub == "show":
            row = await tools.evalsets.get(tenant, args.name, args.version)
            print(f"# {row.name}@{row.version} ({len(row.cases)} cases, {row.origin})")
            for case in row.cases:
                print(json.dumps(case, ensure_ascii=False))
        else:
            if args.team:
                row, created = await tools.evalsets.import_team(tenant, args.name, _actor())
            elif args.corrections:
                row, created = await tools.evalsets.import_corrections(tenant, _actor(), args.name)
            else:
                rows = parse_jsonl(args.file.read_text())
                save = tools.evalsets.add if args.add else tools.evalsets.save
                row, created = await save(tenant, args.name, rows, origin=f"import:{args.file.name}", actor=_actor())
            what = "new version" if created else "unchanged: same cases as"
            print(f"{row.name}: {what} version {row.version} ({len(row.cases)} cases)")
    elif cmd == "policies":
        await _policies(app, tenant, args)
    elif cmd == "experiments":
        await _experiments(app, tenant, args)
    elif cmd == "fine-tune":
        await _fine_tune(app, tenant, args)
    elif cmd == "alerts":
        if args.alerts_command == "list":
            for a in await tools.alerts.find(tenant, args.status):
                j = alert_json(a)
                print(f"{j['created_at']}  {j['kind']:<16} {j['status']:<8} {j['message']}")
        else:
            out = await tick(tools, tenant, _actor())
            for f in out["alerts"]["findings"]:
                print(f"{f['kind']:<16} {'FIRING' if f['firing'] else 'ok':<6} {f['message']}")
            print(f"alerts sent: {len(out['alerts']['sent'])}")


async def _policies(app: "AppState", tenant: str, args: argparse.Namespace) -> None:
    policies, sub = app.tools.policies, args.policies_command
    if sub == "list":
        active = await policies.active(tenant)
        for p in await policies.all(tenant):
            mark = "*" if active and active.version == p.version else " "
            print(f"{mark} {p.version:>4}  {json.dumps(p.settings)}  {p.note}")
        print(f"active: {active.version if active else 0} (previous: {active.previous_version if active else None})")
    elif sub == "events":
        for e in await policies.events(tenant):
            j = event_json(e)
            print(f"{j['at']}  {j['kind']:<20} {j['from_version']} -> {j['to_version']}  {j['reason']}")
    elif sub == "create":
        settings = {}
        for pair in args.pairs:
            key, sep, raw = pair.partition("=")
            if not sep:
                raise ValueError(f"--set {pair!r}: KEY=VALUE, the value as JSON (e.g. max_results=3)")
            settings[key.strip()] = _value(raw)
        row = await policies.create(tenant, settings, note=args.note, origin="cli", actor=_actor())
        if args.activate:
            await policies.activate(tenant, row.version, actor=_actor(), reason=args.note)
        print(
            f"policy {row.version}: {json.dumps(policy_json(row)['settings'])}" + (" (active)" if args.activate else "")
        )
    elif sub == "activate":
        current = await policies.active_version(tenant)
        since = utcnow() - timedelta(seconds=app.tools.settings.learning_window_s)
        baseline = await figures(app.tools.db, tenant, current, since)
        row = await policies.activate(
            tenant, args.version, actor=_actor(), reason=args.reason, baseline=baseline, watch=True
        )
        print(f"active: policy {row.version} (was {row.previous_version}); watched for a rollback")
    else:
        row = await policies.rollback(tenant, actor=_actor(), reason=args.reason)
        print(f"rolled back: policy {row.version} is active")


async def _experiments(app: "AppState", tenant: str, args: argparse.Namespace) -> None:
    from concierge.tools.learning.watch import tick

    experiments, sub = Experiments(app.tools.db, app.tools.policies), args.experiments_command
    if sub == "list":
        for e in await experiments.find(tenant):
            print(
                f"{e.id}  {e.status:<9} {e.control_version} vs {e.treatment_version} at {e.percent}%  "
                f"by {e.unit}  {e.reason}"
            )
    elif sub == "start":
        from concierge.server.evaluation import gate

        await app.tools.policies.get(tenant, args.treatment)
        await _ensure_set(app, tenant, args.set)
        result = await gate(app, tenant, args.treatment, args.set, args.set_version, args.metric, args.threshold)
        row = await experiments.create(
            tenant, args.treatment, unit=args.unit, min_turns=args.min_turns, eval_gate=result, actor=_actor()
        )
        verdict = "passed" if result["passed"] else "FAILED (no step up until a new experiment)"
        print(
            f"{row.id}: policy {row.treatment_version} vs {row.control_version} at {row.percent}% by {row.unit}; "
            f"evaluation gate {result['metric']}={result['value']} (threshold {result['threshold']}) {verdict}"
        )
    elif sub == "evaluate":
        out = await tick(app.tools, tenant, _actor())
        decision = out["experiment"]
        print(f"experiment: {decision['decision'] + ': ' + decision['reason'] if decision else 'none running'}")
        rb = out["rollback"]
        print(f"rollback watch: {rb['decision'] + (': ' + rb['reason'] if rb.get('reason') else '') if rb else 'idle'}")
        print(f"alerts sent: {len(out['alerts']['sent'])}")
    else:
        row = await experiments.stop(tenant, args.id, _actor(), args.reason)
        print(json.dumps(experiment_json(row))[:400])


async def _fine_tune(app: "AppState", tenant: str, args: argparse.Namespace) -> None:
    import asyncio

    from concierge.tools.learning.finetune import TERMINAL, FineTunes, job_json

    tools = app.tools
    jobs = FineTunes(tools.db, tools.secrets, tools.policies, tools.corrections, tools.models.providers.get("openai"))

    def show(j: dict[str, Any]) -> None:
        policy = f", candidate policy {j['policy_version']}" if j["policy_version"] is not None else ""
        model = f" -> {j['fine_tuned_model']}" if j["fine_tuned_model"] else ""
        print(f"{j['job_id']}  {j['status']}  {j['base_model']}{model}{policy}")

    sub = args.finetune_command
    if sub == "list":
        for row in await jobs.find(tenant):
            show(job_json(row))
    elif sub == "status":
        show(job_json(await jobs.refresh(tenant, args.job_id, _actor())))
    else:
        row = await jobs.start(tenant, base_model=args.base_model, min_quality=args.min_quality, actor=_actor())
        show(job_json(row))
        while args.wait and row.status not in TERMINAL:
            await asyncio.sleep(args.poll_s)
            row = await jobs.refresh(tenant, row.id, _actor())
            show(job_json(row))
        if row.policy_version is not None:
            active = await tools.policies.active_version(tenant)
            print(f"compare it first: concierge compare {active} {row.policy_version}")
