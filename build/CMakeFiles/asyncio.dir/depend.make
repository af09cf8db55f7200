# Empty dependencies file for asyncio.
# This may be replaced when dependencies are built.
