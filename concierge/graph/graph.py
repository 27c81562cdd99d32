"""`build_graph()`: one customer turn, from question to answer, feedback or a human.

`graph` below is what `langgraph.json` registers; `langgraph dev` supplies its own checkpointer.
"""

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from concierge.graph.edges import RETRIEVERS, after_analysis, after_generation
from concierge.nodes.analyze_query import analyze_query
from concierge.nodes.attribute import attribute
from concierge.nodes.collect_feedback import collect_feedback
from concierge.nodes.generate import generate
from concierge.nodes.handoff import handoff
from concierge.nodes.offer_human import offer_human
from concierge.nodes.retrieve_catalog import retrieve_catalog
from concierge.nodes.retrieve_documents import retrieve_documents
from concierge.nodes.retrieve_web import retrieve_web
from concierge.nodes.route_model import route_model
from concierge.nodes.synthesize import synthesize
from concierge.state import Context, InputState, State


def build_graph(checkpointer: Checkpointer = None) -> CompiledStateGraph:
    builder = StateGraph(State, context_schema=Context, input_schema=InputState)
    builder.add_node(analyze_query)
    builder.add_node(retrieve_documents)
    builder.add_node(retrieve_catalog)
    builder.add_node(retrieve_web)
    builder.add_node(synthesize)
    builder.add_node(route_model)
    builder.add_node(generate)
    builder.add_node(attribute)
    builder.add_node(collect_feedback, destinations=("offer_human", "handoff", END))
    builder.add_node(offer_human, destinations=("handoff", END))
    builder.add_node(handoff)

    builder.add_edge(START, "analyze_query")
    builder.add_conditional_edges("analyze_query", after_analysis, [*RETRIEVERS.values(), "synthesize", "handoff"])
    for node in RETRIEVERS.values():
        builder.add_edge(node, "synthesize")
    builder.add_edge("synthesize", "route_model")
    builder.add_edge("route_model", "generate")
    builder.add_conditional_edges("generate", after_generation, ["attribute", "handoff"])
    builder.add_edge("attribute", "collect_feedback")
    builder.add_edge("handoff", END)
    return builder.compile(checkpointer=checkpointer, name="concierge")


graph = build_graph()
