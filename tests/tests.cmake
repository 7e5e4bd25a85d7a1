# Every tests/test_<stage>_<name>.c becomes a CTest test labelled cpu, linked
# against the library of its stage; tests/gpu_<name>.c are labelled gpu and exit
# with code 77 (CTest's skip) when no CUDA device is present.
set(MB_TEST_STAGE_LIBS
    core mb_core
    gradcheck mb_core_f64
    data mb_data
    train mb_data
    metrics mb_metrics
    toy mb_toy
    loop mb_loop
    cli mb_loop
    report mb_loop)

add_library(mb_testutil STATIC tests/testutil.c)
target_include_directories(mb_testutil PUBLIC ${CMAKE_SOURCE_DIR}/tests)

file(GLOB MB_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/test_*.c)
foreach(src ${MB_TEST_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  string(REGEX MATCH "^test_([a-z0-9]+)_" _ ${name})
  set(stage ${CMAKE_MATCH_1})
  list(FIND MB_TEST_STAGE_LIBS ${stage} idx)
  if(idx EQUAL -1)
    message(FATAL_ERROR "${src}: unknown stage '${stage}' (see tests/tests.cmake)")
  endif()
  math(EXPR idx "${idx} + 1")
  list(GET MB_TEST_STAGE_LIBS ${idx} lib)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE mb_testutil ${lib})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS cpu
                       ENVIRONMENT "MB_SOURCE_DIR=${CMAKE_SOURCE_DIR};MB_BINARY=$<TARGET_FILE:madbench>")
endforeach()

file(GLOB MB_GPU_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/gpu_*.c)
foreach(src ${MB_GPU_TEST_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE mb_testutil mb_loop mb_metrics mb_data mb_core)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS gpu SKIP_RETURN_CODE 77
                       ENVIRONMENT "MB_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endforeach()

# Shell-level tests (command line, error messages): tests/cli_*.sh
file(GLOB MB_SH_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/cli_*.sh)
foreach(src ${MB_SH_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_test(NAME ${name} COMMAND bash ${src} $<TARGET_FILE:madbench>)
  set_tests_properties(${name} PROPERTIES LABELS cpu
                       ENVIRONMENT "MB_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endforeach()
