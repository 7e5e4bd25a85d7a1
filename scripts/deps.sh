# Sourced by the quick-start scripts: installs the Debian packages madbench needs
# that are missing (root, or sudo). The CUDA toolkit, when present, is used from
# /usr/local/cuda and is never required.
MB_BUILD_PACKAGES="build-essential cmake pkg-config zlib1g-dev libopenblas-dev liblapacke-dev libstb-dev libjansson-dev libzip-dev dataset-fashion-mnist"
MB_TEST_PACKAGES="python3 python3-numpy python3-scipy python3-yaml python3-torch python3-torchvision python3-sklearn python3-pil python3-tqdm python3-requests python3-venv python3-pandas libxml2-utils clang libclang-rt-14-dev libomp-14-dev chromium slurmctld slurmd slurm-client munge"

mb_install_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "madbench: installing ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Configure and build into $1 (Release). CUDA is enabled when nvcc is found.
mb_build() {
    local dir=$1
    mkdir -p "$dir"
    cmake -S "$MB_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release >"$dir/configure.log" 2>&1 ||
        { cat "$dir/configure.log" >&2; return 1; }
    cmake --build "$dir" -j "$(nproc)"
}
