#!/usr/bin/env python3
"""Runs the README's walkthroughs as written, against a fresh demo, and checks what they print.

Every ```console block of README.md is a session: a line `$ command` is run (in one bash
shell, so variables set by one command are there for the next), and the lines after it, up to
the next `$`, are what it is expected to print (stdout and stderr together, as a terminal shows
them). A command whose expected output starts with `error:` must exit non-zero; any other
must exit 0, unless its expected output ends with a line `# exit N`.

Output is compared by shape, since figures move as a session goes on: runs of digits count as
one digit, order ids as one id, runs of spaces as one space. Expected lines must appear in
order; a line `...` stands for any number of lines, and `...` inside a line ends what is
compared of it. A line starting with one space continues the line before (wrapped JSON).

A block preceded by `<!-- readme: skip -->` is not run (e.g. it needs a second machine).

Binaries come from BIN (default target/debug): `hubctl`, `assethub-demo`, `assethub`,
`mock-agencies`; the
README's `cargo run ... --bin NAME --` and its `hubctl` alias are both mapped onto them.
With README_SHOW=FILE, everything each command printed is written to FILE as well.
Usage: python3 .ci/readme.py [README.md]
"""

import os
import re
import shutil
import signal
import socket
import urllib.request
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "README.md")
BIN = os.path.abspath(os.environ.get("BIN", os.path.join(ROOT, "target", "debug")))
CARGO_RUN = re.compile(r"cargo run -q --release -p [\w-]+ --bin ([\w-]+) --")
DEMO_PORTS = [50051, 18081, 18082, 18083, 18084, 18085, 18086, 18090, 18091, 50070, 9464, 8080]


def sessions(text):
    """Yields (line number, [(command, expected lines)]) for each console block."""
    lines = text.split("\n")
    i = 0
    skip = False
    while i < len(lines):
        line = lines[i]
        if line.strip() == "<!-- readme: skip -->":
            skip = True
        elif line.startswith("```console"):
            start = i + 1
            i += 1
            block = []
            while i < len(lines) and not lines[i].startswith("```"):
                block.append(lines[i])
                i += 1
            if not skip:
                yield start, commands(block)
            skip = False
        elif line.strip() and not line.startswith("<!--"):
            skip = skip and line.startswith("<!--")
        i += 1


def commands(block):
    out = []
    for line in block:
        if line.startswith("$ "):
            out.append([line[2:], []])
        elif out:
            if line.startswith(" ") and not line.startswith("  ") and out[-1][1]:
                out[-1][1][-1] += line[1:]
            else:
                out[-1][1].append(line)
    return out


def shape(line):
    line = line.split("\r")[-1]
    line = re.sub(r"ord-[0-9a-f]{32}", "ord-ID", line)
    line = re.sub(r"grp-[0-9a-f]{32}", "grp-ID", line)
    # durations are whatever the machine took: 514ms and 1.2s have one shape
    line = re.sub(r"\b[0-9]+(\.[0-9]+)?(ms|s)\b", "DUR", line)
    line = re.sub(r"[0-9]+", "0", line)
    return re.sub(r"\s+", " ", line).strip()


def matches(expected, actual):
    """Whether the expected lines appear in order in the actual ones (see the module doc);
    else the first expected line that could not be placed."""
    actual = [shape(a) for a in actual if shape(a)]
    wanted = []  # (shape, prefix?, after a gap?)
    gap = False
    for want in expected:
        if want.strip() == "...":
            gap = True
            continue
        if re.fullmatch(r"# exit \d+", want.strip()):
            continue
        prefix = "..." in want
        want = shape(want.split("...")[0]) if prefix else shape(want)
        if want:
            wanted.append((want, prefix, gap))
            gap = False
    worst = [None]

    def fits(line, want, prefix):
        return line.startswith(want) if prefix else line == want

    def place(k, pos):
        if k == len(wanted):
            return True
        want, prefix, after_gap = wanted[k]
        last = len(actual) if after_gap else min(pos + 1, len(actual))
        for j in range(pos, last):
            if fits(actual[j], want, prefix) and place(k + 1, j + 1):
                return True
        if worst[0] is None or k > worst[0][0]:
            worst[0] = (k, want)
        return False

    if place(0, 0):
        return True, None
    return False, worst[0][1] if worst[0] else None


def wait_for_port(port, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


def main():
    text = open(README, encoding="utf-8").read()
    blocks = list(sessions(text))
    for port in DEMO_PORTS:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                sys.exit(f"readme: port {port} is taken (a demo running?); stop it first")
    work = tempfile.mkdtemp(prefix="assethub-readme-")
    home = os.path.join(work, "home")
    os.makedirs(home)
    env = dict(os.environ, HOME=home, NO_COLOR="1", RUST_LOG="error")
    demo = subprocess.Popen(
        [os.path.join(BIN, "assethub-demo"), "--fresh"],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    failures = []
    try:
        if not wait_for_port(50051, 60):
            sys.exit("readme: the demo did not start")
        # The console the README points judges to answers with its sign-in page.
        if not wait_for_port(8080, 30):
            sys.exit("readme: the demo's console did not start on 8080")
        page = urllib.request.urlopen("http://127.0.0.1:8080/signin", timeout=10).read().decode("utf-8")
        if "登录" not in page or 'id="identity"' not in page:
            failures.append("the console's sign-in page at http://127.0.0.1:8080/signin lacks its form")
        script = ["set +e", f'hubctl() {{ "{BIN}/hubctl" "$@"; }}']
        n = 0
        index = []
        for start, cmds in blocks:
            for command, expected in cmds:
                run = CARGO_RUN.sub(lambda m: f'"{BIN}/{m.group(1)}"', command)
                script.append(f"echo '@@begin {n}'")
                script.append(f"{{ {run}\n}} 2>&1")
                script.append(f"printf '\\n@@end {n} %d\\n' $?")
                index.append((start, command, expected))
                n += 1
        result = subprocess.run(
            ["bash", "-c", "\n".join(script)], cwd=work, env=env,
            capture_output=True, text=True, timeout=900,
        )
        outputs = {}
        current = None
        for line in result.stdout.split("\n"):
            m = re.fullmatch(r"@@begin (\d+)", line)
            e = re.fullmatch(r"@@end (\d+) (\d+)", line)
            if m:
                current = int(m.group(1))
                outputs[current] = [[], None]
            elif e:
                outputs[int(e.group(1))][1] = int(e.group(2))
                current = None
            elif current is not None:
                outputs[current][0].append(line)
        for out in outputs.values():
            while out[0] and not out[0][-1].strip():
                out[0].pop()
        show = os.environ.get("README_SHOW")
        if show:
            with open(show, "w", encoding="utf-8") as f:
                for k, (start, command, _) in enumerate(index):
                    got, code = outputs.get(k, [[], None])
                    f.write(f"## line {start} exit {code}\n$ {command}\n" + "\n".join(got) + "\n")
        for k, (start, command, expected) in enumerate(index):
            got, code = outputs.get(k, [[], None])
            exit_line = [w for w in expected if re.fullmatch(r"# exit \d+", w.strip())]
            if exit_line:
                want_ok = int(exit_line[0].split()[-1]) == 0
                want_code = int(exit_line[0].split()[-1])
            else:
                first = next((w for w in expected if w.strip()), "")
                want_ok = not first.startswith("error:")
                want_code = 0 if want_ok else None
            ok_code = code == want_code if want_code is not None else code not in (0, None)
            ok_text, missing = matches(expected, got)
            if not (ok_code and ok_text):
                why = f"exit {code}" if not ok_code else f"missing: {missing!r}"
                shown = "\n      ".join(got[:12])
                failures.append(f"README.md block at line {start}: $ {command}\n    {why}\n    printed:\n      {shown}")
        print(f"readme: {len(index)} commands in {len(blocks)} console blocks, {len(failures)} failed")
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print(f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
