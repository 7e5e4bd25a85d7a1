# unlaunch.cmake — turns one file of kernels/ into C++ for the host execution layer:
#   cmake -DIN=kernels/x.cu -DOUT=build/.../x.cpp -P unlaunch.cmake
# Only the syntax g++ cannot parse changes: `k<<<grid, block, shmem, stream>>>(args)`
# becomes `MBH_LAUNCH(k, grid, block, shmem, stream)(args)`, and a dynamic shared
# array `extern __shared__ T name[];` (declared inside its kernel) becomes a pointer
# to the block's dynamic shared memory. Lines stay where they are and a #line
# directive names the original file, so compiler messages point into kernels/.
file(READ "${IN}" text)
string(REGEX REPLACE "([A-Za-z_][A-Za-z0-9_]*)[ \t]*<<<" "MBH_LAUNCH(\\1, " text "${text}")
string(REPLACE ">>>" ")" text "${text}")
string(REGEX REPLACE "extern[ \t]+__shared__[ \t]+([^;\n]*[^ \t;\n])[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\\[[ \t]*\\][ \t]*;"
       "\\1 *const \\2 = (\\1 *)mbh::dynamic_shared();" text "${text}")
file(WRITE "${OUT}.tmp" "#line 1 \"${IN}\"\n${text}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
