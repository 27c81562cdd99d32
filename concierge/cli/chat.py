"""`concierge chat`: talk to a tenant's agent in the terminal, through the same graph and checkpoints as the server."""

import re
import sys
import uuid
from typing import Any

from langchain_core.messages import AIMessageChunk
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from concierge.graph.checkpointer import open_checkpointer
from concierge.graph.graph import build_graph
from concierge.server.deps import AppState
from concierge.server.executor import thread_config
from concierge.state.conversation import DISCARDED_EVENT
from concierge.state.human import HANDOFF_REASONS, interrupt_kind
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox

_RATING = re.compile(r"^\s*([1-5]|up|down|helpful|not[ _]helpful)\s*$", re.I)
_YES_NO = re.compile(r"^\s*(yes|no|y|n)\s*$", re.I)
HELP = (
    "Type a question. After an answer, rate it: helpful, not helpful, or 1-5. /agent <reply> answers as the "
    "human agent (/agent! <reply> keeps the conversation); /quit leaves."
)


async def chat(settings: Settings, tenant_id: str, thread_id: str | None) -> None:
    tools = await Toolbox.from_settings(settings).open()
    try:
        async with open_checkpointer(settings.checkpoint_path) as saver:
            app = AppState(tools=tools, graph=build_graph(saver))
            context = await app.tenant_context(tenant_id)
            thread_id = thread_id or str(uuid.uuid4())
            print(f"Chatting with {context.business_name} (thread {thread_id}). {HELP}\n")
            while True:
                try:
                    line = input("you> ").strip()
                except (EOFError, KeyboardInterrupt):
                    print()
                    return
                if line in ("/quit", "/exit"):
                    return
                if line:
                    await _turn(app.graph, context, thread_id, line)
    finally:
        await tools.close()


async def _pending(graph: CompiledStateGraph, thread_id: str) -> dict[str, Any] | None:
    snapshot = await graph.aget_state(thread_config(thread_id))
    return snapshot.interrupts[0].value if snapshot.interrupts else None


async def _turn(graph: CompiledStateGraph, context: Any, thread_id: str, line: str) -> None:
    pending = await _pending(graph, thread_id)
    kind = interrupt_kind(pending)
    if kind == "feedback" and (m := _RATING.match(line)):
        graph_input: Any = Command(resume={"rating": m.group(1)})
    elif kind == "offer_human" and (m := _YES_NO.match(line)):
        graph_input = Command(resume=m.group(1))
    elif kind == "handoff" and line.startswith(("/agent ", "/agent! ")):
        keep, _, reply = line.partition(" ")
        graph_input = Command(resume={"reply": reply.strip(), "agent": "terminal", "keep": keep == "/agent!"})
    elif kind == "handoff":
        print("  (a human agent has this conversation; answer as the agent with /agent <reply>)")
        return
    else:
        graph_input = {"messages": [{"role": "user", "content": line}]}

    streamed = False
    async for mode, chunk in graph.astream(
        graph_input, thread_config(thread_id), context=context, stream_mode=["messages", "updates", "custom"]
    ):
        if mode == "messages":
            message, meta = chunk
            if isinstance(message, AIMessageChunk) and meta.get("langgraph_node") == "generate":
                if not streamed:
                    sys.stdout.write("bot> ")
                    streamed = True
                sys.stdout.write(message.text)
                sys.stdout.flush()
        elif mode == "updates":
            _show_update(chunk, streamed)
        elif mode == "custom" and isinstance(chunk, dict) and chunk.get("event") == DISCARDED_EVENT:
            if streamed:  # a provider broke off mid-answer: say so, and show the next one's answer whole
                print(f"\n  ({chunk['model']} broke off mid-answer; another model answers from the start)")
            streamed = False


def _show_update(update: dict[str, Any], streamed: bool) -> None:
    if streamed and "attribute" in update:
        print()
        for c in update["attribute"]["citations"]:
            where = f", {c['locator']}" if c["locator"] else ""
            print(f"     [{c['n']}] {c['title']}{where}")
    if (update.get("handoff") or {}).get("messages"):
        print(f"agent> {update['handoff']['messages'][-1].text}")
    if "collect_feedback" in update:
        print("  thanks for the feedback")
        for message in (update["collect_feedback"] or {}).get("messages", []):
            print(f"bot> {message.text}")
    for interrupt in update.get("__interrupt__", ()):
        value = interrupt.value
        kind = interrupt_kind(value)
        if kind == "feedback":
            print(f"  {value['question']}")
        elif kind == "offer_human":
            print("  (yes / no)")
        elif kind == "handoff":
            reason = HANDOFF_REASONS.get(value["action_request"]["args"]["reason"], "")
            print(f"  >> handed to a human agent. {reason} They will reply here.")
