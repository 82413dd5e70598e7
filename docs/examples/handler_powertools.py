from collections.abc import Iterator
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, event_source

from bedrock_stream import HTTPError, streaming_handler

logger = Logger(service="words")
metrics = Metrics(namespace="BedrockStreamDocs", service="words")


@logger.inject_lambda_context(clear_state=True)  # outside: sees the raw event and the context
@metrics.log_metrics  # outside: flushes once the last chunk has been written
@streaming_handler(content_type="text/plain; charset=utf-8")
@event_source(data_class=APIGatewayProxyEvent)  # inside: the function gets the typed event
def handler(event: APIGatewayProxyEvent, context: Any) -> Iterator[str]:
    try:
        message = str(event.json_body["message"])
    except (TypeError, ValueError, KeyError):
        raise HTTPError(400, "send a JSON body with a 'message'") from None
    logger.append_keys(http_method=event.http_method)
    words = message.split()
    for word in words:
        yield word + " "
    logger.info("answered", extra={"words": len(words)})
    metrics.add_metric(name="Words", unit=MetricUnit.Count, value=len(words))
