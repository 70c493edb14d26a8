"""A small outside MCP server for the tests of outside tools, as a script to run."""

# A small outside server: `pid` answers with its process id (read-only, so safe to repeat),
# `nap` sleeps first (not marked, so never repeated), `span` says when its sleep ran. It refuses to
# start while DOWN exists.
PID_SERVER = '''
import asyncio, os, sys, time
from pathlib import Path
from mcp.server.fastmcp import FastMCP
from mcp.types import ToolAnnotations

if Path(sys.argv[1]).exists():
    raise SystemExit("down")
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8000
server = FastMCP("pid", host="127.0.0.1", port=port, log_level="WARNING")

@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
async def pid(seconds: float = 0) -> str:
    """This server's process id, after `seconds`."""
    await asyncio.sleep(seconds)
    return str(os.getpid())

@server.tool()
async def nap(seconds: float) -> str:
    """Sleep, then answer with this server's process id."""
    await asyncio.sleep(seconds)
    return str(os.getpid())

@server.tool()
async def span(seconds: float) -> str:
    """Sleep; answer with when the sleep started and ended on this server's clock."""
    start = time.monotonic()
    await asyncio.sleep(seconds)
    return f"{start} {time.monotonic()}"

server.run("streamable-http" if len(sys.argv) > 2 else "stdio")
'''
