"""The CPU lines every benchmark prints first (bench/README.md: figures
are only comparable with the machine's vector extensions beside them)."""

import os


def cpu_lines():
    """`CPU: <model> (<n> logical CPUs)` and `CPU flags: <flags>` from
    /proc/cpuinfo ("unknown" where it cannot be read)."""
    model, flags = "unknown", "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model == "unknown":
                    model = value.strip()
                elif key == "flags" and flags == "unknown":
                    flags = value.strip()
    except OSError:
        pass
    return (f"CPU: {model} ({os.cpu_count()} logical CPUs)\n"
            f"CPU flags: {flags}")
