"""The reference app's OpenAI route with the official openai SDK: a streamed completion."""

import os

import openai

client = openai.OpenAI(
    base_url=os.environ["STREAMING_OPENAI_BASE_URL"],  # the stack output, ending in /Prod/v1
    api_key=os.environ["API_KEY"],  # the usage plan's key: sent as Authorization: Bearer
)
model = client.models.list().data[0].id

stream = client.chat.completions.create(
    model=model,
    messages=[{"role": "user", "content": "Explain response streaming in three sentences"}],
    stream=True,
    stream_options={"include_usage": True},
)
for chunk in stream:  # raises openai.APIError if the answer fails mid-way
    if chunk.choices and chunk.choices[0].delta.content:
        print(chunk.choices[0].delta.content, end="", flush=True)
