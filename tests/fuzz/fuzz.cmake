# fuzz.cmake — libFuzzer targets of the data readers: IDX, CIFAR, folders, NumPy
# .npy / .npz (included from CMakeLists.txt when -DMADBENCH_FUZZ=ON; needs clang:
# -DCMAKE_C_COMPILER=clang). The readers are compiled into each target with the
# fuzzer's coverage and ASan + UBSan, without the rest of madbench. Run them with
# tests/fuzz/run_fuzzers.sh.
file(GLOB MB_FUZZ_DATA_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/data/*.c)
# the util pieces the readers call: errors, checked file access, the PNG writer
set(MB_FUZZ_UTIL_SOURCES src/util/common.c src/util/files.c src/util/image_write.c)
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "MADBENCH_FUZZ needs clang (configure with -DCMAKE_C_COMPILER=clang)")
endif()
set(MB_FUZZ_FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1)
set(MB_FUZZ_COMPILE_ONLY -Wno-unknown-pragmas)
foreach(target fuzz_idx fuzz_cifar fuzz_folder fuzz_npy)
  add_executable(${target} tests/fuzz/${target}.c ${MB_FUZZ_DATA_SOURCES} ${MB_FUZZ_UTIL_SOURCES})
  target_compile_options(${target} PRIVATE ${MB_FUZZ_FLAGS} ${MB_FUZZ_COMPILE_ONLY})
  target_link_options(${target} PRIVATE ${MB_FUZZ_FLAGS})
  target_link_libraries(${target} PRIVATE ZLIB::ZLIB ${STB_LIBRARY} ${ZIP_LIBRARY} m)
endforeach()
add_executable(fuzz_make_seeds tests/fuzz/make_seeds.c ${MB_FUZZ_DATA_SOURCES}
               ${MB_FUZZ_UTIL_SOURCES})
target_link_libraries(fuzz_make_seeds PRIVATE ZLIB::ZLIB ${STB_LIBRARY} ${ZIP_LIBRARY} m)
