# unlaunch.cmake — turns a CUDA source into C++ for the host execution layer:
#   cmake -DIN=kernels/x.cu -DOUT=build/.../x.cpp -P unlaunch.cmake
# Only what g++ cannot take as it is changes, and no line moves (a #line directive
# names the original file, so compiler messages point into kernels/):
# - `k<<<grid, block, shmem, stream>>>(args)` becomes
#   `MBH_LAUNCH(k, grid, block, shmem, stream)(args)`;
# - a dynamic shared array `extern __shared__ T name[];` (declared inside its kernel)
#   becomes a pointer to the block's dynamic shared memory;
# - `__shared__ T a[N];` and `__shared__ T a, b;` (scalars) gain `MBH_SHARED(a);` after them,
#   which lets the layer poison them at the start of every block.
file(READ "${IN}" text)
string(REGEX REPLACE "([A-Za-z_][A-Za-z0-9_]*)[ \t]*<<<" "MBH_LAUNCH(\\1, " text "${text}")
string(REPLACE ">>>" ")" text "${text}")
string(REGEX REPLACE "extern[ \t]+__shared__[ \t]+([^;\n]*[^ \t;\n])[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\\[[ \t]*\\][ \t]*;"
       "\\1 *const \\2 = (\\1 *)mbh::dynamic_shared();" text "${text}")
set(id "([A-Za-z_][A-Za-z0-9_]*)")
string(REGEX REPLACE "__shared__([ \t][^;,\n[]*[ \t*])${id}[ \t]*,[ \t]*${id}[ \t]*;"
       "__shared__\\1\\2, \\3; MBH_SHARED(\\2); MBH_SHARED(\\3);" text "${text}")
string(REGEX REPLACE "__shared__([ \t][^;,\n[]*[ \t*])${id}[ \t]*(\\[[^;,\n]*|)[ \t]*;"
       "__shared__\\1\\2\\3; MBH_SHARED(\\2);" text "${text}")
string(REGEX REPLACE "__shared__[^\n]*MBH_SHARED" "" rest "${text}")
if(rest MATCHES "__shared__[^\n]*")
  message(FATAL_ERROR "${IN}: '${CMAKE_MATCH_0}': the host layer reads __shared__ "
                      "declarations of the form `__shared__ T a[N];` or `__shared__ T a, b;`")
endif()
file(WRITE "${OUT}.tmp" "#line 1 \"${IN}\"\n${text}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
