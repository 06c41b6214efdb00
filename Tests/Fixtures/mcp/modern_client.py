"""The Python SDK's client in MCP 2026-07-28 ("modern", stateless) mode, for keyway's tests.

Usage: modern_client.py PLAN.json — prints one JSON document of what the client saw.
Plan: {"url": URL, "token": TOKEN, "mode": "auto" | "2026-07-28",
       "elicit": {"signal": PATH, "resume": PATH} or absent,
       "steps": [{"op": "list"} | {"op": "call", "name": N, "arguments": {...}}]}
With "elicit", the client declares URL elicitation; when asked, it records the request,
creates the file "signal" (the user is at the link) and waits for "resume" (the test
has connected the account), then accepts, and the SDK calls the tool again.
"""
import json
import os
import sys

import anyio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError


def dump(model):
    return model.model_dump(by_alias=True, mode="json", exclude_unset=True, exclude_none=True)


async def main():
    plan = json.load(open(sys.argv[1]))
    seen = {"elicitations": [], "steps": []}
    options = {}
    if "elicit" in plan:
        from mcp_types import ElicitResult

        async def on_elicit(context, params):
            seen["elicitations"].append({"mode": params.mode, "url": params.url, "message": params.message})
            open(plan["elicit"]["signal"], "w").close()
            with anyio.fail_after(60):
                while not os.path.exists(plan["elicit"]["resume"]):
                    await anyio.sleep(0.05)
            return ElicitResult(action="accept")

        options["elicitation_callback"] = on_elicit
    async with create_mcp_http_client(headers={"Authorization": f"Bearer {plan['token']}"}) as http:
        async with Client(streamable_http_client(plan["url"], http_client=http), mode=plan.get("mode", "auto"), **options) as client:
            seen["protocol_version"] = client.protocol_version
            for step in plan["steps"]:
                try:
                    if step["op"] == "list":
                        seen["steps"].append(sorted(tool.name for tool in (await client.list_tools()).tools))
                    else:
                        seen["steps"].append(dump(await client.call_tool(step["name"], step.get("arguments", {}))))
                except MCPError as e:
                    seen["steps"].append({"error": {"code": e.error.code, "message": e.error.message}})
    print(json.dumps(seen, sort_keys=True))


anyio.run(main)
