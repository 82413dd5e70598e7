"""Citations: the answer quotes a document sent with citations enabled."""

from bedrock_stream.bedrock import Citation, document_block, stream_events

MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


def cite(document: str, question: str) -> tuple[str, list[Citation]]:
    source = document_block(document, "txt", "handbook", citations=True)
    message = {"role": "user", "content": [source, {"text": question}]}
    stream = stream_events([message], model_id=MODEL_ID, max_tokens=500)
    citations = [e for e in stream if isinstance(e, Citation)]
    return stream.text, citations
