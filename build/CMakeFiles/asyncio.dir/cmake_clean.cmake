file(REMOVE_RECURSE
  "CMakeFiles/asyncio.dir/src/event_loop.cpp.o"
  "CMakeFiles/asyncio.dir/src/event_loop.cpp.o.d"
  "libasyncio.a"
  "libasyncio.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/asyncio.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
