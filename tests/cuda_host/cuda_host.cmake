# cuda_host.cmake — the CUDA sources of kernels/ built with g++ against the host
# execution layer (tests/cuda_host/, docs/cuda-host.md), and the tests that run
# them: label cuda-host. Needs no GPU and no CUDA toolkit.
option(MADBENCH_CUDA_HOST "Test kernels/ on the host execution layer (label cuda-host)" ON)
if(NOT MADBENCH_CUDA_HOST)
  return()
endif()
enable_language(CXX)
set(MB_CH ${CMAKE_SOURCE_DIR}/tests/cuda_host)

# kernels/*.cu(h) -> build/cuda_host/: launches and __shared__ rewritten (unlaunch.cmake).
function(mb_cuda_host_rewrite src out)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DIN=${src} -DOUT=${out} -P ${MB_CH}/unlaunch.cmake
    DEPENDS ${src} ${MB_CH}/unlaunch.cmake VERBATIM)
endfunction()
# (mutants.sh points MB_CUDA_HOST_KERNELS at a mutated copy of kernels/)
set(MB_CUDA_HOST_KERNELS ${CMAKE_SOURCE_DIR}/kernels CACHE PATH "CUDA sources the host layer builds")
file(GLOB MB_CH_KERNELS CONFIGURE_DEPENDS ${MB_CUDA_HOST_KERNELS}/*.cu ${MB_CUDA_HOST_KERNELS}/*.cuh)
set(MB_CH_GENERATED)
foreach(src ${MB_CH_KERNELS})
  get_filename_component(name ${src} NAME)
  string(REGEX REPLACE "\\.cu$" ".cpp" name ${name})
  mb_cuda_host_rewrite(${src} ${CMAKE_BINARY_DIR}/cuda_host/${name})
  list(APPEND MB_CH_GENERATED ${CMAKE_BINARY_DIR}/cuda_host/${name})
endforeach()
mb_cuda_host_rewrite(${MB_CH}/test_cuda_host.cu ${CMAKE_BINARY_DIR}/cuda_host_test/test_cuda_host.cpp)

# The kernels, the layer and the backend table's creation with the CUDA entry on:
# linked as objects, they take the place of mb_cuda (or of its absence) in mb_cpu.
add_library(mb_cuda_host OBJECT ${MB_CH_GENERATED} ${MB_CH}/scheduler.cpp
            ${MB_CH}/runtime.cpp ${MB_CH}/blas.cpp ${CMAKE_SOURCE_DIR}/src/cpu/backend.c)
target_include_directories(mb_cuda_host BEFORE PRIVATE ${MB_CH}/include)
# __CUDA_ARCH__: the kernels' files compile as nvcc's device pass sees them (mb_hd.h).
target_compile_definitions(mb_cuda_host PUBLIC MB_HAVE_CUDA
                           PRIVATE $<$<COMPILE_LANGUAGE:CXX>:__CUDA_ARCH__=900>)
set_target_properties(mb_cuda_host PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON)
# The CPU backend's floating-point rules: no FMA contraction, the same -march.
target_compile_options(mb_cuda_host PRIVATE
  $<$<COMPILE_LANGUAGE:CXX>:-O2 -ffp-contract=off -Wall -Wextra>
  $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${MADBENCH_MARCH}>>:-march=${MADBENCH_MARCH}>)
target_link_libraries(mb_cuda_host PUBLIC mb_util ${LAPACKE_LIBRARY} ${OPENBLAS_LIBRARY})

# Every tests/gpu/gpu_*.c against the layer, each run under three schedules whose
# results must be bitwise identical (run_schedules.sh).
set(MB_CH_TESTS)
foreach(src ${MB_GPU_TEST_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name}_host ${src})
  target_link_libraries(${name}_host PRIVATE mb_cuda_host mb_testutil mb_loop)
  add_test(NAME cuda_host_${name}
           COMMAND bash ${MB_CH}/run_schedules.sh $<TARGET_FILE:${name}_host>)
  list(APPEND MB_CH_TESTS cuda_host_${name})
endforeach()

# The layer's own checks: races, barriers, warps, guards, cuBLAS arguments.
add_executable(test_cuda_host ${CMAKE_BINARY_DIR}/cuda_host_test/test_cuda_host.cpp)
target_include_directories(test_cuda_host BEFORE PRIVATE ${MB_CH}/include ${MB_CH})
target_compile_options(test_cuda_host PRIVATE -O2 -ffp-contract=off -Wall -Wextra)
set_target_properties(test_cuda_host PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON)
target_link_libraries(test_cuda_host PRIVATE mb_cuda_host mb_testutil mb_loop)
add_test(NAME cuda_host_selftest COMMAND test_cuda_host)
list(APPEND MB_CH_TESTS cuda_host_selftest)

# `madbench run --device cuda` on the layer, against the CPU run of the same config.
# (the libraries of madbench itself, read from its target so that the two stay alike)
get_target_property(MB_CH_MADBENCH_LIBS madbench LINK_LIBRARIES)
add_executable(madbench_cuda_host ${MB_CLI_SOURCES})
target_link_libraries(madbench_cuda_host PRIVATE mb_cuda_host ${MB_CH_MADBENCH_LIBS})
add_test(NAME cuda_host_madbench_run
         COMMAND bash ${MB_CH}/madbench_run.sh $<TARGET_FILE:madbench>
                 $<TARGET_FILE:madbench_cuda_host>)
list(APPEND MB_CH_TESTS cuda_host_madbench_run)

set_tests_properties(${MB_CH_TESTS} PROPERTIES LABELS cuda-host
                     ENVIRONMENT "MB_SOURCE_DIR=${CMAKE_SOURCE_DIR}")

# The GPU code the CUDA build holds is the code CMAKE_CUDA_ARCHITECTURES names
# (by default sm_90 + compute_90 PTX: see CMakeLists.txt).
if(MADBENCH_CUDA)
  add_test(NAME cuda_architectures
           COMMAND bash ${MB_CH}/check_cuda_arch.sh $<TARGET_FILE:mb_cuda> "${CMAKE_CUDA_ARCHITECTURES}")
  set_tests_properties(cuda_architectures PROPERTIES LABELS cpu)
endif()
