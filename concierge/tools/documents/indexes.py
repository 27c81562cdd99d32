"""Which document index and embedder a deployment uses, chosen by configuration."""

from concierge.tools.documents.embeddings import CachedEmbedder, Embedder, make_embedder
from concierge.tools.documents.sqlite_index import DocumentIndex, SqliteHybridIndex
from concierge.tools.settings import Settings


def make_embedder_from(settings: Settings) -> Embedder:
    """The configured model behind the on-disk cache keyed by content hash."""
    inner = make_embedder(settings.embedding_model, settings.embedding_api_key, settings.embedding_base_url)
    return CachedEmbedder(inner, settings.embedding_cache_path)


def make_document_index(settings: Settings) -> DocumentIndex:
    """Elasticsearch when `ELASTICSEARCH_URL` is set, else the embedded SQLite index."""
    if settings.elasticsearch_url:
        from concierge.tools.documents.es_index import ElasticsearchIndex, make_client

        client = make_client(
            settings.elasticsearch_url,
            settings.elasticsearch_api_key,
            settings.elasticsearch_username,
            settings.elasticsearch_password,
        )
        return ElasticsearchIndex(
            client, make_embedder_from(settings), settings.elasticsearch_index, settings.elasticsearch_server_rrf
        )
    return SqliteHybridIndex(settings.index_path, make_embedder_from(settings))
