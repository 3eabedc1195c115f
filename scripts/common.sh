#!/usr/bin/env bash
# Shared set-up of the two README commands: install what is missing, then
# configure and build qopt. Idempotent: a second run installs nothing and
# rebuilds only what changed.
set -euo pipefail

QOPT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QOPT_BUILD="${QOPT_BUILD:-$QOPT_ROOT/build}"
LLVM_PREFIX=/usr/lib/llvm-22

# Debian packages the build, the tests and the demo need.
QOPT_PACKAGES=(cmake ninja-build python3 g++ clang-22 llvm-22-dev llvm-22-tools
  libmlir-22-dev mlir-22-tools libgtest-dev libopenblas-dev libomp-dev
  zlib1g-dev dataset-fashion-mnist python3-torch fortunes mpich libmpich-dev)

qopt_install_missing() {
  local missing=()
  for pkg in "${QOPT_PACKAGES[@]}" "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]})); then
    echo "qopt: installing missing packages: ${missing[*]}"
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo=sudo; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
  fi
}

# Configures a build directory (once) with the given extra CMake options.
qopt_configure() {
  local dir="$1"
  shift
  if [[ ! -f "$dir/build.ninja" ]]; then
    cmake -G Ninja -S "$QOPT_ROOT" -B "$dir" \
      -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_COMPILER="$LLVM_PREFIX/bin/clang" \
      -DCMAKE_CXX_COMPILER="$LLVM_PREFIX/bin/clang++" \
      -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
      -DLLVM_EXTERNAL_LIT="$LLVM_PREFIX/bin/lit" "$@"
  fi
}

qopt_build() {
  qopt_configure "$QOPT_BUILD"
  cmake --build "$QOPT_BUILD" "$@"
  echo "qopt: build is in $QOPT_BUILD"
}

# The sanitized build (AddressSanitizer + UndefinedBehaviorSanitizer, see
# docs/Faults.md) in its own directory; builds what the tests need and runs
# them.
QOPT_SANITIZE_BUILD="${QOPT_SANITIZE_BUILD:-$QOPT_ROOT/build-sanitize}"
qopt_check_sanitized() {
  qopt_configure "$QOPT_SANITIZE_BUILD" -DQOPT_SANITIZE=address,undefined
  cmake --build "$QOPT_SANITIZE_BUILD" --target check-qopt
  echo "qopt: sanitized build is in $QOPT_SANITIZE_BUILD"
}
