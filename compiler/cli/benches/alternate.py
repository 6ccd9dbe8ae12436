#!/usr/bin/env python3
"""Times whole commands by taking turns, for comparisons on a noisy machine.

Usage: alternate.py ROUNDS COMMAND [;; COMMAND ...]

Each round runs every command once (in reverse order every other round), timed from spawn
to exit with posix_spawn, output discarded. A command may start with NAME=VALUE words, set
in its environment, and `{i}` in its words is replaced by the round's number (for a fresh
output directory per run). The first ten rounds warm up and are not counted.

For each command it prints the median, the 10th percentile and the fastest run, and the
median over rounds of its difference to the first command's run of the same round: the
commands of one round see the same load, so these paired differences compare binaries even
when the machine's speed drifts from minute to minute. Run it under `chrt -f 50` so that
other processes of the machine do not preempt the measured one.
"""

import os
import statistics
import sys
import time


def main() -> None:
    rounds = int(sys.argv[1])
    commands = [part.split() for part in " ".join(sys.argv[2:]).split(";;")]
    environments = []
    for words in commands:
        env = dict(os.environ)
        while words and "=" in words[0]:
            key, value = words.pop(0).split("=", 1)
            env[key] = value
        environments.append(env)
    devnull = os.open(os.devnull, os.O_WRONLY)
    quiet = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    times = [[] for _ in commands]
    for round_number in range(rounds + 10):
        order = list(range(len(commands)))
        if round_number % 2:
            order.reverse()
        row = [0.0] * len(commands)
        for index in order:
            argv = [word.replace("{i}", str(round_number)) for word in commands[index]]
            start = time.perf_counter()
            pid = os.posix_spawn(argv[0], argv, environments[index], file_actions=quiet)
            os.waitpid(pid, 0)
            row[index] = (time.perf_counter() - start) * 1000
        if round_number >= 10:
            for index, value in enumerate(row):
                times[index].append(value)
    for index, words in enumerate(commands):
        ordered = sorted(times[index])
        paired = statistics.median(a - b for a, b in zip(times[index], times[0]))
        print(
            f"median {statistics.median(ordered):6.2f} ms  p10 {ordered[len(ordered) // 10]:6.2f}"
            f"  fastest {ordered[0]:6.2f}  paired {paired:+6.3f}  {' '.join(words)}"
        )


if __name__ == "__main__":
    main()
