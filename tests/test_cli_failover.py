"""`concierge chat` with remote providers from the environment: a provider breaking off mid-answer is shown."""

from concierge.tools.settings import Settings
from tests.provider_stubs import GeminiStub, OpenAIStub, answer, breaks_after
from tests.test_cli import run


def test_chat_shows_a_broken_answer_being_replaced(settings: Settings) -> None:
    with OpenAIStub() as openai, GeminiStub() as gemini:
        gemini.script("gemini-2.5-flash", breaks_after(2, "It costs fifty [1]."))
        openai.script("gpt-4o-mini", answer("The Kestrel Fountain Pen costs 48.00 EUR [1]."))
        env = {
            "CONCIERGE_OPENAI_API_KEY": "sk-stub",
            "CONCIERGE_OPENAI_BASE_URL": openai.base_url,
            "CONCIERGE_GOOGLE_API_KEY": "g-stub",
            "CONCIERGE_GOOGLE_BASE_URL": gemini.base_url,
        }
        out = run(settings, "chat", stdin="How much is the Kestrel fountain pen?\n/quit\n", env=env)
    assert out.returncode == 0, out.stderr
    assert "bot> It costs\n  (google_genai/gemini-2.5-flash broke off mid-answer; another model answers" in out.stdout
    assert "bot> The Kestrel Fountain Pen costs 48.00 EUR [1]." in out.stdout
