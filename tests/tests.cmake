# Tests mirror the stages: every tests/<stage>/test_*.c becomes a CTest test
# labelled cpu and linked against mb_<stage> and mb_data, since tests load data
# sets (test_model_gradcheck against the double-precision build, mb_model_f64); every tests/<stage>/cli_*.sh drives the
# madbench binary (label cpu); tests/gpu/gpu_*.c are labelled gpu and exit with
# code 77 (CTest's skip) when no CUDA device is present; tests/<stage>/slurm_*.sh are
# labelled slurm.
add_library(mb_testutil STATIC tests/testutil.c)
target_include_directories(mb_testutil PUBLIC ${CMAKE_SOURCE_DIR}/tests)

set(MB_TEST_ENV "MB_SOURCE_DIR=${CMAKE_SOURCE_DIR};MB_BINARY=$<TARGET_FILE:madbench>")

file(GLOB MB_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/*/test_*.c)
foreach(src ${MB_TEST_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  get_filename_component(dir ${src} DIRECTORY)
  get_filename_component(stage ${dir} NAME)
  if(NOT TARGET mb_${stage})
    message(FATAL_ERROR "${src}: tests/${stage}/ names no stage library mb_${stage}")
  endif()
  set(lib mb_${stage})
  if(name STREQUAL "test_model_gradcheck")
    set(lib mb_model_f64)
  endif()
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE mb_testutil ${lib} mb_data)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS cpu ENVIRONMENT "${MB_TEST_ENV}")
endforeach()

file(GLOB MB_GPU_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/gpu/gpu_*.c)
foreach(src ${MB_GPU_TEST_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE mb_testutil mb_loop)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS gpu SKIP_RETURN_CODE 77
                       ENVIRONMENT "MB_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endforeach()

# Slurm: tests/<stage>/slurm_*.sh start a one-node cluster (root; label slurm)
file(GLOB MB_SLURM_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/*/slurm_*.sh)
foreach(src ${MB_SLURM_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_test(NAME ${name} COMMAND bash ${src} $<TARGET_FILE:madbench>)
  set_tests_properties(${name} PROPERTIES LABELS slurm TIMEOUT 600
                       ENVIRONMENT "MB_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endforeach()

# Shell-level tests (command line, error messages): tests/<stage>/cli_*.sh
file(GLOB MB_SH_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/*/cli_*.sh)
foreach(src ${MB_SH_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_test(NAME ${name} COMMAND bash ${src} $<TARGET_FILE:madbench>)
  set_tests_properties(${name} PROPERTIES LABELS cpu
                       ENVIRONMENT "MB_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endforeach()

# The field's reference implementations (label reference; PyPI needed, never
# skipped): a venv in the build folder with Debian's numpy / scipy / torch and
# prdc, vendi-score, pytorch-fid, clean-fid from PyPI (tests/metrics/reference_*).
set(MB_REFERENCE_VENV ${CMAKE_BINARY_DIR}/reference-venv)
add_test(NAME reference_venv
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/metrics/reference_venv.sh ${MB_REFERENCE_VENV})
set_tests_properties(reference_venv PROPERTIES LABELS reference FIXTURES_SETUP reference_venv
                     TIMEOUT 600)
add_test(NAME reference_metrics
         COMMAND ${MB_REFERENCE_VENV}/bin/python
                 ${CMAKE_SOURCE_DIR}/tests/metrics/reference_metrics.py $<TARGET_FILE:madbench>)
set_tests_properties(reference_metrics PROPERTIES LABELS reference
                     FIXTURES_REQUIRED reference_venv TIMEOUT 900)
