"""A Responses server built on Microsoft's azure-ai-agentserver-responses: its host, its in-memory
store, and a handler that answers from the text (it repeats what it was told, earlier turns too, so
previous_response_id is observable). Run by start.sh: python server.py PORT."""

import asyncio
import sys

from azure.ai.agentserver.responses import InMemoryResponseProvider, ResponsesAgentServerHost, TextResponse

app = ResponsesAgentServerHost(prefix="/v1", store=InMemoryResponseProvider())


async def history_text(context) -> str:
    parts = [p.get("text", "") for item in await context.get_history() if isinstance(item, dict)
             for p in item.get("content") or [] if isinstance(p, dict)]
    return " ".join(t for t in parts if t)


@app.response_handler
async def answer(request, context, cancellation_signal):
    said, earlier = await context.get_input_text(), await history_text(context)
    reply = f"You said: {said}" + (f" Earlier: {earlier}" if earlier else "")

    async def words():  # word by word, slowly enough that a background response can be cancelled
        for index, word in enumerate(reply.split(" ")):
            if cancellation_signal.is_set():
                return
            await asyncio.sleep(0.02)
            yield (" " if index else "") + word

    async for event in TextResponse(context, request, text=words()):
        yield event


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
