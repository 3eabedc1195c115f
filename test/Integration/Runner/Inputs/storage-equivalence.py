# Runs qopt-run on an example with --storage=narrow and with --storage=f32
# for each numeric configuration (--man-bits 7, 3, 1 x --rounding
# nearest_even, toward_zero, stochastic, and --assign-precision) and
# compares the CSV (diff) and the --final-state files (cmp). A
# configuration whose narrow run stores nothing narrow fails too: the
# comparison would then prove nothing.
#
# usage: storage-equivalence.py QOPT_RUN EXAMPLE OUT_DIR ITERATIONS [OPTION...]
import os
import subprocess
import sys

qopt_run, example, out_dir, iterations = sys.argv[1:5]
extra = sys.argv[5:]
configs = [[f"--man-bits={bits}", f"--rounding={rounding}"]
           for bits in (7, 3, 1)
           for rounding in ("nearest_even", "toward_zero", "stochastic")]
configs.append(["--assign-precision"])
name = os.path.basename(example)
failed = False
for number, config in enumerate(configs):
    label = " ".join(config)
    paths = {}
    memory = ""
    # The two runs of a configuration run side by side.
    runs = {}
    for storage in ("narrow", "f32"):
        csv = os.path.join(out_dir, f"{name}.{number}.{storage}.csv")
        state = os.path.join(out_dir, f"{name}.{number}.{storage}.bin")
        paths[storage] = (csv, state)
        command = [qopt_run, example, f"--iterations={iterations}",
                   f"--storage={storage}", f"--csv={csv}",
                   f"--final-state={state}"] + config + extra
        runs[storage] = (command, subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True))
    for storage, (command, process) in runs.items():
        stdout, stderr = process.communicate()
        if process.returncode != 0:
            print(f"FAIL {name} {label}: {' '.join(command)} exited with "
                  f"{process.returncode}:\n{stderr}")
            failed = True
            continue
        if storage == "narrow":
            memory = next((line for line in stdout.splitlines()
                           if line.startswith("state memory:")), "")
            if "# state #" not in stdout:
                print(f"FAIL {name} {label}: no state stored narrow")
                failed = True
    if any(process.returncode != 0 for _, process in runs.values()):
        continue
    same = True
    for tool, index in (("diff", 0), ("cmp", 1)):
        if subprocess.run([tool, paths["narrow"][index],
                           paths["f32"][index]]).returncode != 0:
            print(f"FAIL {name} {label}: {tool} of narrow and f32 storage "
                  "differs")
            failed = True
            same = False
    if same:
        print(f"{name} {label}: same CSV and final state; {memory}")
sys.exit(1 if failed else 0)
