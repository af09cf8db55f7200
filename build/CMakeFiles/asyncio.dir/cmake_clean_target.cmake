file(REMOVE_RECURSE
  "libasyncio.a"
)
