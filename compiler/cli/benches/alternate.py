#!/usr/bin/env python3
"""Times whole commands by taking turns, for comparisons on a noisy machine.

Usage: alternate.py [--copies N] ROUNDS COMMAND [;; COMMAND ...]

Each round runs every command once (in reverse order every other round), timed from spawn
to exit with posix_spawn, output discarded. A command may start with NAME=VALUE words, set
in its environment. In its words, `{i}` is replaced by the round's number (for a fresh
output directory per run) and `{s}` by the number of its slot (so that the copies of one
command, below, do not share an output directory). The first ten rounds warm up and are not
counted.

For each command it prints the median, the 10th percentile and the fastest run, and the
median over rounds of its difference to the first command's run of the same round: the
commands of one round see the same load, so these paired differences compare binaries even
when the machine's speed drifts from minute to minute. Run it under `chrt -f 50` so that
other processes of the machine do not preempt the measured one.

With `--copies N`, each command's program is copied N times into a temporary directory and
every copy takes its own turn. On the virtual machines measured, two copies of one binary
can differ by 0.1 to 0.6 ms in a run (where the page cache holds each file's pages, and how
the host backs them, differs), which is more than many changes being compared; the summary
line of each command averages its copies' times in every round, and its paired difference
is to the average of the first command's copies.
"""

import os
import shutil
import statistics
import sys
import tempfile
import time


def main() -> None:
    args = sys.argv[1:]
    copies = 1
    if args[:1] == ["--copies"]:
        copies = int(args[1])
        args = args[2:]
    rounds = int(args[0])
    commands = [part.split() for part in " ".join(args[1:]).split(";;")]
    environments = []
    for words in commands:
        env = dict(os.environ)
        while words and "=" in words[0]:
            key, value = words.pop(0).split("=", 1)
            env[key] = value
        environments.append(env)
    scratch = tempfile.mkdtemp(prefix="alternate-") if copies > 1 else None
    # One slot per copy of each command: (command index, argv template).
    slots = []
    for index, words in enumerate(commands):
        for copy in range(copies):
            argv = list(words)
            if scratch is not None:
                program = os.path.join(scratch, f"{index}-{copy}-{os.path.basename(words[0])}")
                shutil.copy2(shutil.which(words[0]) or words[0], program)
                argv[0] = program
            slots.append((index, argv))
    try:
        times = run(rounds, slots, environments)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    report(times, slots, commands, copies)


def run(rounds, slots, environments):
    """Each slot's times in ms, one per counted round."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    quiet = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    times = [[] for _ in slots]
    for round_number in range(rounds + 10):
        order = list(range(len(slots)))
        if round_number % 2:
            order.reverse()
        row = [0.0] * len(slots)
        for slot in order:
            index, template = slots[slot]
            argv = [
                word.replace("{i}", str(round_number)).replace("{s}", str(slot))
                for word in template
            ]
            start = time.perf_counter()
            pid = os.posix_spawn(argv[0], argv, environments[index], file_actions=quiet)
            os.waitpid(pid, 0)
            row[slot] = (time.perf_counter() - start) * 1000
        if round_number >= 10:
            for slot, value in enumerate(row):
                times[slot].append(value)
    return times


def line(values, baseline, label):
    ordered = sorted(values)
    paired = statistics.median(a - b for a, b in zip(values, baseline))
    return (
        f"median {statistics.median(ordered):6.2f} ms  p10 {ordered[len(ordered) // 10]:6.2f}"
        f"  fastest {ordered[0]:6.2f}  paired {paired:+6.3f}  {label}"
    )


def report(times, slots, commands, copies):
    if copies == 1:
        for slot in range(len(slots)):
            print(line(times[slot], times[0], " ".join(commands[slot])))
        return
    # Per round, the average of each command's copies.
    averages = []
    for index in range(len(commands)):
        mine = [times[slot] for slot, (owner, _) in enumerate(slots) if owner == index]
        averages.append([statistics.mean(run) for run in zip(*mine)])
    for slot, (index, _) in enumerate(slots):
        copy = slot % copies
        print(line(times[slot], averages[0], f"  copy {copy + 1} of command {index + 1}"))
    for index, words in enumerate(commands):
        print(line(averages[index], averages[0], f"mean of {copies} copies: {' '.join(words)}"))


if __name__ == "__main__":
    main()
