"""The HTTP benchmark's aiohttp peer (bench/http.py): the TechEmpower plaintext and JSON
routes, written as an aiohttp user writes them. Usage: aiohttp_server.py PORT [--uvloop]
(Debian's python3 with python3-aiohttp, and python3-uvloop for --uvloop)."""

import sys

from aiohttp import web


async def plaintext(request):
    return web.Response(text="Hello, World!")


async def json_route(request):
    return web.json_response({"message": "Hello, World!"})


def main():
    port = int(sys.argv[1])
    if "--uvloop" in sys.argv[2:]:
        import uvloop
        uvloop.install()
    app = web.Application()
    app.router.add_get("/plaintext", plaintext)
    app.router.add_get("/json", json_route)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
