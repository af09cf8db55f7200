# Makes a twin test fail with a message: cmake -DMSG=... -P fail.cmake
message(FATAL_ERROR "TWIN FAILED: ${MSG}")
