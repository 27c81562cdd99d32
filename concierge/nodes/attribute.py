"""Turn the model's `[n]` markers into the tenant's citation style, dropping any the context cannot back."""

import re

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from concierge.state import Context, State
from concierge.state.records import Citation
from concierge.tools.llm.prompts import CITATION, cited_numbers
from concierge.tools.toolbox import context_of


def last_answer(state: State) -> AIMessage:
    return next(m for m in reversed(state["messages"]) if isinstance(m, AIMessage))


def endnotes(citations: list[Citation]) -> str:
    lines = [f"[{c['n']}] {c['title']}" + (f", {c['locator']}" if c["locator"] else "") for c in citations]
    return "\n\nSources:\n" + "\n".join(lines)


async def attribute(state: State, runtime: Runtime[Context]) -> dict:
    style = context_of(runtime).attribution_style
    answer = last_answer(state)
    by_number = {s["n"]: s for s in state["context"]["sources"]}
    used = [n for n in cited_numbers(answer.text) if n in by_number]
    renumber = {old: new for new, old in enumerate(used, start=1)}
    citations = [
        Citation(
            n=renumber[n],
            id=by_number[n]["id"],
            source=by_number[n]["source"],
            title=by_number[n]["title"],
            locator=by_number[n]["locator"],
        )
        for n in used
    ]

    def marker(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return f" [{renumber[n]}]" if n in renumber and style != "none" else ""

    text = CITATION.sub(marker, answer.text).strip()
    if style == "endnote" and citations:
        text += endnotes(citations)
    revised = AIMessage(content=text, id=answer.id, name=answer.name)
    return {"messages": [revised], "citations": citations}
