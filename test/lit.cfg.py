# -*- Python -*-
# lit configuration of the qopt test suite.

import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "QOPT"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qopt_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%shlibext", config.llvm_shlib_ext))
config.substitutions.append(("%qopt_libs", config.qopt_lib_dir))
config.substitutions.append(("%qopt_tools_dir", config.qopt_tools_dir))
config.substitutions.append(("%qopt_src", config.qopt_src_root))
config.substitutions.append(("%qopt_obj", config.qopt_obj_root))
config.substitutions.append(
    ("%mlir_runner_utils",
     os.path.join(config.mlir_lib_dir, "libmlir_runner_utils.so")))
config.substitutions.append(
    ("%mlir_c_runner_utils",
     os.path.join(config.mlir_lib_dir, "libmlir_c_runner_utils.so")))
# The OpenMP runtime for code compiled with "num-threads" other than 1.
# lit already runs one test per core: code compiled for the runtime's
# default thread count (qopt-run's default) runs on one thread, unless a
# test sets OMP_NUM_THREADS itself.
config.environment["OMP_NUM_THREADS"] = "1"
if config.qopt_openmp_runtime:
    config.available_features.add("openmp")
    config.substitutions.append(("%openmp_runtime", config.qopt_openmp_runtime))
config.substitutions.append(("%cmake", config.cmake_command))
config.substitutions.append(("%build_generator", config.cmake_generator))
config.substitutions.append(("%cxx", config.cxx_compiler))
config.substitutions.append(("%mlir_package_dir", config.mlir_cmake_dir))
# Batch sizes of the fuzzers in test/Fuzz (QOPT_FUZZ_CASES; qopt-run's cases
# each compile a step, a tenth as many).
config.substitutions.append(("%qopt_fuzz_cases", config.qopt_fuzz_cases))
config.substitutions.append(
    ("%qopt_run_fuzz_cases", str(max(int(config.qopt_fuzz_cases) // 10, 1))))

llvm_config.use_default_substitutions()
llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
# not, count, split-file and FileCheck live beside mlir-opt.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.qopt_tools_dir, config.llvm_tools_dir]
tools = [
    ToolSubst("qopt-opt", unresolved="fatal"),
    ToolSubst("mlir-opt", unresolved="fatal"),
    ToolSubst("mlir-runner", unresolved="fatal"),
    ToolSubst("qopt-optim-ref", unresolved="fatal"),
]
# Optional tools of later stages (runners, GPU host tools, the importer).
for optional in ["qopt-run", "qopt-gpu-check", "qopt-import-torch",
                 "qopt-calibrate"]:
    if os.path.exists(os.path.join(config.qopt_tools_dir, optional)):
        tools.append(ToolSubst(optional))
        config.available_features.add(optional)
llvm_config.add_tool_substitutions(tools, tool_dirs)

# PyTorch (Debian's python3-torch, for /usr/bin/python3): the importer's
# tests need it and are UNSUPPORTED where it is missing.
import subprocess
try:
    if subprocess.run(["/usr/bin/python3", "-c", "import torch, functorch"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                      timeout=120).returncode == 0:
        config.available_features.add("torch")
except (OSError, subprocess.TimeoutExpired):
    pass
config.substitutions.append(("%torch_python", "/usr/bin/python3"))

# GPU tests check that PTX assembles when CUDA's ptxas is available; without
# it they are reported UNSUPPORTED, never silently passing.
ptxas = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas"
    if os.path.exists("/usr/local/cuda/bin/ptxas") else None)
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

# A usable NVIDIA GPU (driver library and device node): GPU execution tests
# need one and are UNSUPPORTED elsewhere.
import ctypes.util
if os.path.exists("/dev/nvidia0") and ctypes.util.find_library("cuda"):
    config.available_features.add("cuda-device")
# qopt's CUDA host runtime (built when CUDA was found at configure time).
if os.path.exists(os.path.join(config.qopt_lib_dir, "libqopt_cuda_runtime.so")):
    config.available_features.add("qopt-cuda-runtime")

# MPI: data-parallel tests run the runner under `mpiexec -n N` when MPI's
# launcher is installed and qopt's MPI runtime was built (MPICH: root may
# run it, and more ranks than cores are fine). They are UNSUPPORTED
# elsewhere.
mpiexec = shutil.which("mpiexec")
dp_runtime = os.path.join(config.qopt_lib_dir, "libqopt_dp_runtime.so")
if mpiexec and os.path.exists(dp_runtime):
    config.available_features.add("mpi")
    config.substitutions.append(("%mpiexec", mpiexec))
    config.substitutions.append(("%qopt_dp_runtime", dp_runtime))
    # A run never waits forever on a lost rank (tests that time out set less).
    config.environment["QOPT_DP_TIMEOUT"] = "120"

# A sanitized build (-DQOPT_SANITIZE=...): every report stops the process
# with SIGABRT, which `not` and a test's exit status count as a failure (a
# sanitizer's own exit code 1 would pass `not`). Leaks are reported, with
# no suppressions; a failed allocation returns null, so the runner's
# allocation checks can answer.
# Tests that cannot run instrumented say `UNSUPPORTED: sanitizer`.
if config.qopt_sanitize:
    config.available_features.add("sanitizer")
    for sanitizer in config.qopt_sanitize.split(","):
        config.available_features.add(sanitizer.strip() + "-sanitizer")
    config.environment["ASAN_OPTIONS"] = ":".join([
        "halt_on_error=1", "abort_on_error=1", "detect_leaks=1",
        "allocator_may_return_null=1", "detect_odr_violation=0",
        "handle_abort=0"])
    config.environment["UBSAN_OPTIONS"] = ":".join([
        "print_stacktrace=1", "halt_on_error=1", "abort_on_error=1"])
    # qopt-run links MPICH, whose UCX (libucm) patches mmap by rewriting
    # its code when the library loads: under ASan's interceptors that jumps
    # into data (SEGV before main). Keep UCX's memory hooks off.
    config.environment["UCX_MEM_MMAP_HOOK_MODE"] = "none"
    # An uninstrumented host (the stock mlir-opt) loads the instrumented
    # plugin with the shared ASan runtime (which has UBSan's handlers too)
    # preloaded.
    if "address" in config.qopt_sanitize:
        import subprocess
        runtime = subprocess.run(
            [config.cxx_compiler, "-print-file-name=libclang_rt.asan-x86_64.so"],
            capture_output=True, text=True).stdout.strip()
        if os.path.exists(runtime):
            config.substitutions.append(
                ("%sanitizer_preload", "env LD_PRELOAD=" + runtime))
            config.available_features.add("sanitizer-preload")
config.substitutions.append(("%sanitizer_preload", ""))
