"""The provider stubs answer on the paths the real clients call, for every client version our ranges allow.

google-genai 3.x calls Gemini's `/v1`, older releases `/v1beta`; langchain-openai calls chat completions, and the
Responses API for Responses-only models. A stub that answers only an old path makes every remote call in the suite
fall through to the local answerer: these tests name the path that went missing instead.
"""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from langchain_core.messages import HumanMessage

from concierge.tools.llm.providers import ProviderConfig, build_chat_model
from tests.provider_stubs import GeminiStub, OpenAIStub

QUESTION = [HumanMessage("How much is the Kestrel pen?")]


@pytest.fixture(scope="module")
def openai() -> Iterator[OpenAIStub]:
    with OpenAIStub() as stub:
        yield stub


@pytest.fixture(scope="module")
def gemini() -> Iterator[GeminiStub]:
    with GeminiStub() as stub:
        yield stub


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """One client per test, as `generate` passes it: langchain-openai's shared one is bound to the first loop."""
    async with httpx.AsyncClient() as client:
        yield client


def chat_openai(stub: OpenAIStub, model: str, http: httpx.AsyncClient):
    return build_chat_model(ProviderConfig("openai", "openai", "sk-test", stub.base_url), model, 10, http)


@pytest.mark.parametrize("api_version", [None, "v1", "v1beta"])
async def test_gemini_generates_and_streams_on_both_api_versions(gemini: GeminiStub, api_version: str | None) -> None:
    from langchain_google_genai import ChatGoogleGenerativeAI

    gemini.reset()
    model = ChatGoogleGenerativeAI(
        model="gemini-2.5-flash", api_key="g-test", base_url=gemini.base_url, api_version=api_version, max_retries=1
    )
    assert (await model.ainvoke(QUESTION)).text == "Answer from gemini-2.5-flash [1]."
    streamed = [chunk.text async for chunk in model.astream(QUESTION)]
    assert "".join(streamed) == "Answer from gemini-2.5-flash [1]." and len(streamed) > 1
    paths = [c.path for c in gemini.calls()]
    version = api_version or paths[0].split("/")[1]  # the client's default: v1 since google-genai 3
    assert version in GeminiStub.versions
    assert paths == [
        f"/{version}/models/gemini-2.5-flash:generateContent",
        f"/{version}/models/gemini-2.5-flash:streamGenerateContent",
    ]


@pytest.mark.parametrize(("model", "path"), [("gpt-4o-mini", "/v1/chat/completions"), ("gpt-5-pro", "/v1/responses")])
async def test_openai_chat_completions_and_the_responses_api(
    openai: OpenAIStub, http: httpx.AsyncClient, model: str, path: str
) -> None:
    openai.reset()
    chat = chat_openai(openai, model, http)
    answer = await chat.ainvoke(QUESTION)
    assert answer.text == f"Answer from {model} [1]." and answer.usage_metadata["output_tokens"] == 4
    chunks = [chunk async for chunk in chat.astream(QUESTION)]
    assert "".join(c.text for c in chunks) == f"Answer from {model} [1]."
    assert sum((c.usage_metadata or {}).get("output_tokens", 0) for c in chunks) == 4, "usage arrives when streamed"
    assert [(c.path, c.stream) for c in openai.calls()] == [(path, False), (path, True)]
