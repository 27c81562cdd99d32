"""The `concierge` command as a person uses it: seed, then chat in the terminal."""

import os
import subprocess
import sys
from pathlib import Path

from concierge.tools.settings import Settings
from tests.conftest import PATIENT_ENV

CONCIERGE = Path(sys.executable).parent / "concierge"


def run(
    settings: Settings, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **PATIENT_ENV,
        "CONCIERGE_DATA_DIR": str(settings.data_dir),
        "LANGSMITH_TRACING": "false",
        **(env or {}),
    }
    return subprocess.run(
        [str(CONCIERGE), *args], input=stdin, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_seed_demo_is_idempotent_from_the_command_line(settings: Settings) -> None:
    out = run(settings, "seed-demo")
    assert out.returncode == 0, out.stderr
    assert "products=22" in out.stdout and "new_slots=0" in out.stdout


def test_chat_streams_cites_rates_and_hands_over(settings: Settings) -> None:
    script = "\n".join(
        [
            "How much is the Kestrel fountain pen?",
            "4",
            "Can I return opened perfume?",
            "I want to speak to a human",
            "hello?",
            "/agent Hi, this is Niamh from the shop.",
            "/quit",
        ]
    )
    out = run(settings, "chat", "--thread", "cli-test", stdin=script + "\n")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Chatting with Inkwell & Oak" in text
    assert "bot> Kestrel Fountain Pen (model KF-200) by Kestrel costs 48.00 EUR" in text
    assert "[1] Kestrel Fountain Pen, our catalog" in text
    assert "helpful or not helpful (or 1 to 5 stars)" in text and "thanks for the feedback" in text
    assert "[1] Store policies, Returns and refunds" in text
    assert ">> handed to a human agent. The customer asked for a person." in text
    assert "a human agent has this conversation" in text
    assert "agent> Hi, this is Niamh from the shop." in text


def test_chat_with_an_unknown_tenant_says_so(settings: Settings) -> None:
    out = run(settings, "chat", "--tenant", "nobody", stdin="/quit\n")
    assert out.returncode != 0 and "tenant 'nobody' not found" in out.stderr
    assert "Traceback" not in out.stderr


def test_documents_upload_list_delete_from_the_command_line(settings: Settings, tmp_path: Path) -> None:
    note = tmp_path / "gift-wrapping.md"
    note.write_text("# Gift wrapping\n\nWe wrap any purchase in kraft paper, free of charge.\n")
    fake = tmp_path / "scan.pdf"
    fake.write_bytes(b"oops\n")
    out = run(settings, "documents", "upload", str(note), str(fake))
    assert out.returncode == 1, "one file was refused"
    assert "completed" in out.stdout and "not a PDF" in out.stdout, out.stdout
    doc_id = next(line.split()[2] for line in out.stdout.splitlines() if "completed" in line)
    listed = run(settings, "documents", "list", "--status", "completed")
    assert doc_id in listed.stdout and "gift-wrapping.md" in listed.stdout
    again = run(settings, "documents", "upload", str(note))
    assert again.returncode == 0 and doc_id in again.stdout, "same content: the same document"
    gone = run(settings, "documents", "delete", doc_id)
    assert gone.returncode == 0 and "deleted" in gone.stdout
    assert doc_id not in run(settings, "documents", "list").stdout
    assert run(settings, "documents", "delete", doc_id).returncode == 1


LOADED = """
import sys
from concierge.cli.main import main
from concierge.tools.documents.embeddings import _minilm_runtime
from concierge.tools.tokens import _load
try:
    main(sys.argv[1:])
finally:
    print(f"embedder={_minilm_runtime.cache_info().currsize} encoding={_load.cache_info().currsize}")
"""


def test_commands_that_never_search_load_no_embedding_model(settings: Settings) -> None:
    """`documents list` and `policies list` only read rows: the model and the encoding (~0.5-1 s) stay unloaded."""
    env = {**os.environ, **PATIENT_ENV, "CONCIERGE_DATA_DIR": str(settings.data_dir), "LANGSMITH_TRACING": "false"}
    for args in (["documents", "list"], ["policies", "list"]):
        out = subprocess.run(
            [sys.executable, "-c", LOADED, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert out.returncode == 0, out.stderr
        assert "embedder=0 encoding=0" in out.stdout, (args, out.stdout)


def test_command_mistakes_print_one_line_and_what_to_run(tmp_path: Path) -> None:
    empty = Settings(data_dir=tmp_path / "empty")
    cases = [
        (("eval",), {}, "tenant 'demo' not found", "concierge seed-demo"),
        (
            ("seed-demo",),
            {"CONCIERGE_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/x"},
            "127.0.0.1",
            "CONCIERGE_DATABASE_URL",
        ),
        (("catalog", "import", str(tmp_path / "missing.csv")), {}, "cannot read", "missing.csv"),
        (("bench", "no-such-benchmark"), {}, "no benchmark 'no-such-benchmark'", "available:"),
    ]
    for args, env, what, hint in cases:
        out = run(empty, *args, env=env)
        assert out.returncode != 0, args
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in out.stderr, (args, out.stderr)
        assert what in lines[0] and hint in lines[0], (args, lines[0])
