# Included by native/build-native.sh after every project() of the llama.cpp build
# (CMAKE_PROJECT_INCLUDE), once the compilers are known: the decision is CMake's own compiler,
# whatever CXX, PATH or a cached build folder say.
#
# GCC before 13 declares the memory input of _tile_loadconfig as 8 bytes, so at -O2 it deletes
# the stores that fill in the rest of a tile config on the stack (the tiles' rows and byte
# widths): ggml's AMX matmuls (C++) then load an all-zero config and fault on their first tile
# instruction. Keeping dead-looking stores in C++ avoids it; clang and GCC 13+ need nothing.
get_property(mmgp_done GLOBAL PROPERTY MMGP_CXX_WORKAROUND_DONE)
if(NOT mmgp_done AND CMAKE_CXX_COMPILER_LOADED)
  set_property(GLOBAL PROPERTY MMGP_CXX_WORKAROUND_DONE TRUE)
  set(mmgp_note "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION} (${CMAKE_CXX_COMPILER})")
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:-fno-tree-dse;-fno-dse>")
    string(APPEND mmgp_note "; C++ with -fno-tree-dse -fno-dse (GCC < 13: ldtilecfg's input is declared as 8 bytes)")
  endif()
  file(WRITE "${CMAKE_BINARY_DIR}/mmgp-cxx.txt" "${mmgp_note}\n")
endif()
