"""A real MCP client (the Python SDK) for keyway's MCP tests.

Usage: client.py PLAN.json  — runs the plan's steps in one session and prints one JSON
document with what the client saw, step by step. Nothing here knows what the answers
should be: the Swift tests compare the output with what they expect.

Plan: {"transport": "stdio", "command": [...], "env": {...}, "errlog": PATH}
   or {"transport": "http", "url": URL, "token": TOKEN or null},
   with "elicitation": true, the client declares elicitation (form and URL modes) at
   initialize, as a client that can send its user to a link does,
   and "steps": [
     {"op": "list"},                                  -> tools/list result (JSON)
     {"op": "call", "name": N, "arguments": {...}},   -> tools/call result (JSON), or the error
     {"op": "cancel", "name": N, "arguments": {...}, "when_file": PATH}
         -> starts the call, cancels it (the SDK sends notifications/cancelled) once PATH
            exists, and reports what the client saw
     {"op": "raw", "method": "POST", "headers": {...}, "body": {...}, "show": [NAME...],
      "session_from": I}  (http only; run first, before any session)
         -> status, the headers named in "show", and the body (JSON, or the text of an
            event stream) of a bare HTTP request; "session_from" sends the Mcp-Session-Id
            that raw step I got back
     {"op": "wait_log", "text": T} -> waits until the server's stderr (the file "errlog")
         holds T: on stdio the client writes it, over HTTP the test names the server's
   ]
A session that cannot be opened (a refused token) reports {"session_error": ...} and no steps.
"""

import json
import os
import sys

import anyio
import httpx2
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError


def dump(model):
    # What the server sent, field by field (nothing the SDK's models only default).
    return model.model_dump(by_alias=True, mode="json", exclude_unset=True)


def error(e):
    if isinstance(e, MCPError):
        seen = {"code": e.error.code, "message": e.error.message}
        if e.error.code == -32042:  # URL elicitation required: the links are the answer
            seen["data"] = e.error.data
        return {"error": seen}
    return {"error": {"type": type(e).__name__, "message": str(e)}}


async def wait_for_file(path, seconds=20):
    with anyio.fail_after(seconds):
        while not os.path.exists(path):
            await anyio.sleep(0.02)


async def run_steps(session, steps):
    out = []
    for step in steps:
        op = step["op"]
        if op == "list":
            out.append(dump(await session.list_tools()))
        elif op == "call":
            try:
                out.append(dump(await session.call_tool(step["name"], step.get("arguments"))))
            except Exception as e:  # a protocol error is an answer too
                out.append(error(e))
        elif op == "cancel":
            seen = {}

            async def call():
                try:
                    seen["result"] = dump(await session.call_tool(step["name"], step.get("arguments")))
                except Exception as e:
                    seen.update(error(e))

            async with anyio.create_task_group() as group:
                group.start_soon(call)
                await wait_for_file(step["when_file"])
                group.cancel_scope.cancel()
            out.append(seen or {"cancelled": True})
        elif op == "wait_log":
            with anyio.fail_after(20):
                while step["text"] not in open(errlog_path).read():
                    await anyio.sleep(0.02)
            out.append({"logged": step["text"]})
        else:
            raise ValueError(f"unknown step {op}")
    return out


def callbacks(plan):
    if not plan.get("elicitation"):
        return {}

    async def elicit(context, params):  # never asked in these tests: keyway answers -32042
        raise RuntimeError("unexpected elicitation/create")

    return {"elicitation_callback": elicit}


async def raw(url, step, earlier):
    headers = dict(step.get("headers", {}))
    if "session_from" in step:
        headers["Mcp-Session-Id"] = earlier[step["session_from"]]["session"]
    async with httpx2.AsyncClient(timeout=30) as client:
        response = await client.request(step.get("method", "POST"), url, headers=headers, json=step.get("body"))
        try:
            body = response.json()
        except Exception:
            body = response.text
        return {"status": response.status_code,
                "headers": {name: response.headers.get(name) for name in step.get("show", [])},
                "body": body, "session": response.headers.get("mcp-session-id")}


errlog_path = None


async def main():
    global errlog_path
    plan = json.load(open(sys.argv[1]))
    errlog_path = plan.get("errlog")
    result = {}
    if plan["transport"] == "stdio":
        command = plan["command"]
        params = StdioServerParameters(command=command[0], args=command[1:], env=plan.get("env"))
        with open(errlog_path, "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write, **callbacks(plan)) as session:
                    await session.initialize()
                    result["steps"] = await run_steps(session, plan["steps"])
        result["stderr"] = open(plan["errlog"]).read()
    else:
        url = plan["url"]
        raw_steps = [s for s in plan["steps"] if s["op"] == "raw"]
        steps = [s for s in plan["steps"] if s["op"] != "raw"]
        result["raw"] = []
        for s in raw_steps:
            result["raw"].append(await raw(url, s, result["raw"]))
        if steps or plan.get("open_session"):
            headers = {"Authorization": f"Bearer {plan['token']}"} if plan.get("token") is not None else {}
            async with create_mcp_http_client(headers=headers) as http:
                async with streamable_http_client(url, http_client=http) as (read, write):
                    async with ClientSession(read, write, **callbacks(plan)) as session:
                        try:
                            await session.initialize()
                        except Exception as e:
                            result["session_error"] = error(e)["error"]
                        else:
                            result["steps"] = await run_steps(session, steps)
    print(json.dumps(result, sort_keys=True))


anyio.run(main)
