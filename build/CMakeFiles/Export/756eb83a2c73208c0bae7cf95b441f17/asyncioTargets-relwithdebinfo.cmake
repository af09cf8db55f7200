#----------------------------------------------------------------
# Generated CMake target import file for configuration "RelWithDebInfo".
#----------------------------------------------------------------

# Commands may need to know the format version.
set(CMAKE_IMPORT_FILE_VERSION 1)

# Import target "asyncio::asyncio" for configuration "RelWithDebInfo"
set_property(TARGET asyncio::asyncio APPEND PROPERTY IMPORTED_CONFIGURATIONS RELWITHDEBINFO)
set_target_properties(asyncio::asyncio PROPERTIES
  IMPORTED_LINK_INTERFACE_LANGUAGES_RELWITHDEBINFO "CXX"
  IMPORTED_LOCATION_RELWITHDEBINFO "${_IMPORT_PREFIX}/lib/libasyncio.a"
  )

list(APPEND _cmake_import_check_targets asyncio::asyncio )
list(APPEND _cmake_import_check_files_for_asyncio::asyncio "${_IMPORT_PREFIX}/lib/libasyncio.a" )

# Commands beyond this point should not need to know the version.
set(CMAKE_IMPORT_FILE_VERSION)
