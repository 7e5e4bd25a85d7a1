# install.cmake — `cmake --install`: bin/madbench, include/madbench/*.h, the stage
# libraries lib/libmb_<stage>.a, the CMake package lib/cmake/madbench
# (find_package(madbench) gives the targets madbench::mb_<stage>; madbench::mb_loop
# pulls in every stage) and lib/pkgconfig/madbench.pc. The libraries are static,
# so both carry the system libraries they need. Included from CMakeLists.txt.
include(CMakePackageConfigHelpers)

# the stages in link order (each before the ones it uses)
set(MB_STAGES loop metrics stats report model data cpu)
if(MADBENCH_CUDA)
  list(APPEND MB_STAGES cuda)
endif()
list(APPEND MB_STAGES util)
list(TRANSFORM MB_STAGES PREPEND mb_ OUTPUT_VARIABLE MB_STAGE_TARGETS)

install(TARGETS madbench ${MB_STAGE_TARGETS} EXPORT madbenchTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/madbench
        FILES_MATCHING PATTERN "*.h" PATTERN "mb_cli.h" EXCLUDE) # mb_cli.h: the binary's own

set(MB_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/madbench)
install(EXPORT madbenchTargets NAMESPACE madbench:: DESTINATION ${MB_CMAKE_DIR})
configure_package_config_file(cmake/madbenchConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/madbenchConfig.cmake
                              INSTALL_DESTINATION ${MB_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/madbenchConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/madbenchConfig.cmake
              ${CMAKE_BINARY_DIR}/madbenchConfigVersion.cmake DESTINATION ${MB_CMAKE_DIR})

# pkg-config: -lmb_<stage> in link order; the Debian packages' own .pc files for
# the rest (pkg-config --static --libs madbench for the whole list)
list(TRANSFORM MB_STAGES PREPEND -lmb_ OUTPUT_VARIABLE MB_PC_LIBS)
list(JOIN MB_PC_LIBS " " MB_PC_LIBS)
set(MB_PC_LIBS_PRIVATE "${OpenMP_C_FLAGS} -lm")
if(MADBENCH_CUDA)
  string(APPEND MB_PC_LIBS_PRIVATE " -L${CUDAToolkit_LIBRARY_DIR} -lcusolver -lcurand -lcublasLt"
                                   " -lcublas -lcudart -lstdc++")
endif()
# relocatable: the prefix is found from the .pc file's own folder
string(REGEX REPLACE "[^/]+" ".." MB_PC_UP "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
configure_file(cmake/madbench.pc.in ${CMAKE_BINARY_DIR}/madbench.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/madbench.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
