"""A full build timed against Sudachi alone and against Pagefind, all in one run on the same machine.

usage: python bench/build.py [SITE] [--copies N] [--jobs N] [--rounds 3] [--no-pagefind]

SITE is a Jekyll site (default: ../shared/corpus/allforces-sample); with --copies N it is first copied N
times with new slugs and dates (bench/worst.py's write_site). Each round runs, one after the other so that
all see the same load on a shared machine:

  pagefind  `pagefind_extended --site HTML` on the same posts rendered to HTML with markdown-it (when
            `pip install 'pagefind[extended]'` has installed it);
  mikke     `mikke index --full --jobs N` in a new process, start-up included, as a user runs it;
  floor A   raw SudachiPy, mode C, core dictionary, one process per job, start-up included and nothing
            else, over the text mikke analyses: each post's title, headings and clean text, cut into
            sentences as mikke cuts them, each distinct sentence of a post once;
  floor B   the same over the posts' bodies as written (the Markdown after the front matter), line by
            line as Sudachi's own command does (a line over Sudachi's size limit is cut);
  read A    floor A's sentences again, each morpheme's word id, begin and end read as well: the least
            that any Python caller of SudachiPy pays to learn what the words are and where they stand
            (mikke's analysis makes these three calls per morpheme and nothing else of Sudachi's).

Prints each round, then the medians: seconds, posts/s, characters/s (of the text mikke analyses), peak RSS
of all of a run's processes together, the ratios mikke / floor and mikke / Pagefind, and read A / floor A
(how much of a ratio to floor A reading the morphemes alone takes), each computed
within a round, in wall-clock time and in CPU seconds of all of a run's processes (the CPU ratios move
less when other work shares the machine).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pickle
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from worst import DEFAULT_CORPUS
from worst import write_site

from mikke.search.analysis import MAX_CHUNK_BYTES
from mikke.search.analysis import iter_chunks
from mikke.search.site import read_site_config
from mikke.search.site import scan_site

POLL_SECONDS = 0.05
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n.*?^(?:---|\.\.\.)[ \t]*$\n?", re.S | re.M)

# A floor process: Python, SudachiPy and the dictionary, then its share of the sentences; nothing else.
_SUDACHI_PROGRAM = """
import pickle, sys
from sudachipy import Dictionary, SplitMode
tokenizer = Dictionary(dict="core").tokenizer(SplitMode.C)
with open(sys.argv[1], "rb") as f:
    sentences = pickle.load(f)
for sentence in sentences:
"""
FLOOR_PROGRAM = _SUDACHI_PROGRAM + "    tokenizer.tokenize(sentence)\n"
# Floor A's program, also reading what a caller needs of each morpheme (SudachiPy makes one object each).
READ_PROGRAM = (
    _SUDACHI_PROGRAM + "    for m in tokenizer.tokenize(sentence):\n        m.word_id(), m.begin(), m.end()\n"
)


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss: int  # bytes, all processes of the run together
    cpu: float  # CPU seconds (user + system) of all processes of the run together


def group_rss(group: int) -> int:
    """Resident memory of every process in process group ``group``, in bytes (Linux /proc)."""
    total = 0
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat_file.read_text().rpartition(")")[2].split()[2]) != group:
                continue
            status = (stat_file.parent / "status").read_text()
        except (OSError, ValueError, IndexError):  # it exited while we looked
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        total += int(match.group(1)) * 1024 if match else 0
    return total


def timed(commands: list[list[str]]) -> Run:
    """Start ``commands`` together, each in a process group of its own; wait for all of them.

    :return: the time from the first start to the last exit, and the peak of their summed memory.
    """
    peak = 0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    procs = [
        subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        for c in commands
    ]
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sum(group_rss(p.pid) for p in procs))
            time.sleep(POLL_SECONDS)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    errors = [p.communicate()[1] for p in procs]
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # A process's children count once it has waited for them: mikke's workers are in mikke's figure.
    cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    done.set()
    poller.join()
    for proc, err in zip(procs, errors, strict=True):
        if proc.returncode != 0:
            raise SystemExit(f"{proc.args} failed ({proc.returncode}):\n{err.decode(errors='replace')}")
    return Run(seconds, peak, cpu)


def body_as_written(path: Path) -> str:
    """The file's text after its front matter."""
    text = path.read_text("utf-8")
    front = _FRONT_MATTER_RE.match(text)
    return text[front.end() :] if front else text


def lines(text: str) -> list[str]:
    """The non-empty lines of ``text``, each cut into pieces Sudachi accepts (MAX_CHUNK_BYTES)."""
    step = MAX_CHUNK_BYTES // 4  # a code point takes at most 4 bytes
    return [line[i : i + step] for line in text.split("\n") if line for i in range(0, len(line), step)]


def shards(sentences: list[str], count: int, folder: Path, name: str) -> list[Path]:
    """Deal ``sentences`` round-robin into ``count`` pickle files, one per floor process."""
    paths = []
    for k in range(count):
        path = folder / f"{name}-{k}.pickle"
        path.write_bytes(pickle.dumps(sentences[k::count]))
        paths.append(path)
    return paths


def render_html(site: Path, posts: list, out: Path) -> None:  # type: ignore[type-arg]
    """Write each post as Pagefind reads a page: its title and its Markdown body rendered to HTML."""
    md = MarkdownIt("commonmark")
    for n, post in enumerate(posts):
        title = post.title.replace("&", "&amp;").replace("<", "&lt;")
        page = out / f"p{n:05d}" / "index.html"
        page.parent.mkdir(parents=True)
        body = md.render(body_as_written(site / post.id))
        page.write_text(
            '<!doctype html><html lang="ja"><head><meta charset="utf-8">'
            f"<title>{title}</title></head><body><main data-pagefind-body><h1>{title}</h1>{body}"
            "</main></body></html>",
            "utf-8",
        )


def pagefind_binary() -> str | None:
    found = shutil.which("pagefind_extended")
    if found:
        return found
    spec = importlib.util.find_spec("pagefind_bin_extended")
    if spec and spec.origin:
        binary = Path(spec.origin).parent / "pagefind_extended"
        return str(binary) if binary.exists() else None
    return None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("site", type=Path, nargs="?", default=DEFAULT_CORPUS)
    parser.add_argument("--copies", type=int, default=1, help="Copy the site this many times first.")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-pagefind", action="store_true")
    args = parser.parse_args()
    jobs: int = args.jobs

    with tempfile.TemporaryDirectory(prefix="mikke-build-") as tmp_name:
        tmp = Path(tmp_name)
        site: Path = args.site
        if args.copies > 1:
            site = tmp / "site"
            write_site(args.site, site, args.copies)
        posts = scan_site(read_site_config(site)).changed
        analysed: list[str] = []  # floor A: each distinct sentence of a post once
        analysed_chars = 0  # every character mikke analyses, repeats included (characters/s)
        for post in posts:
            seen: set[str] = set()
            for text in (post.title, *post.headings, post.text):
                analysed_chars += len(text)
                for _, sentence in iter_chunks(text):
                    if sentence not in seen:
                        seen.add(sentence)
                        analysed.append(sentence)
        written = [s for post in posts for s in lines(body_as_written(site / post.id))]
        floor_a = shards(analysed, jobs, tmp, "a")
        floor_b = shards(written, jobs, tmp, "b")
        binary = None if args.no_pagefind else pagefind_binary()
        html = tmp / "html"
        if binary:
            render_html(site, posts, html)
        print(
            f"site {site}: {len(posts)} posts; mikke analyses {analysed_chars:,} characters, "
            f"{sum(map(len, analysed)):,} in distinct sentences; bodies as written {sum(map(len, written)):,}"
        )
        print(f"jobs {jobs}; pagefind {'yes' if binary else 'not installed (or --no-pagefind)'}")
        print(
            f"{'round':>5} {'pagefind s':>10} {'mikke s':>8} {'floor A s':>9} {'floor B s':>9} "
            f"{'/A':>5} {'/B':>5} {'/pf':>5} {'mikke RSS':>9} {'pf RSS':>7}   CPU s: {'mikke':>6} "
            f"{'/A':>5} {'/B':>5} {'/pf':>5}   read A / floor A: {'s':>4} {'CPU':>4}"
        )

        mikke_runs: list[Run] = []
        pagefind_runs: list[Run] = []
        ratios: dict[str, list[float]] = {"A": [], "B": [], "pagefind": []}
        floors: dict[str, list[float]] = {"A": [], "B": []}
        reading: dict[str, list[float]] = {"s": [], "cpu": []}  # read A / floor A
        # The same ratios in CPU seconds: less moved by other work on a shared machine than wall time.
        cpu_ratios: dict[str, list[float]] = {"A": [], "B": [], "pagefind": []}
        for round_no in range(1, args.rounds + 1):
            pf = None
            if binary:
                shutil.rmtree(html / "pagefind", ignore_errors=True)
                pf = timed([[binary, "--site", str(html)]])
                pagefind_runs.append(pf)
            index = tmp / f"index-{round_no}"
            mikke = timed(
                [
                    [
                        sys.executable,
                        "-m",
                        "mikke",
                        "index",
                        str(site),
                        "--index",
                        str(index),
                        "--full",
                        "--jobs",
                        str(jobs),
                        "--json",
                    ]
                ]
            )
            shutil.rmtree(index)
            mikke_runs.append(mikke)
            floor_a_run = timed([[sys.executable, "-c", FLOOR_PROGRAM, str(p)] for p in floor_a])
            floor_b_run = timed([[sys.executable, "-c", FLOOR_PROGRAM, str(p)] for p in floor_b])
            read_run = timed([[sys.executable, "-c", READ_PROGRAM, str(p)] for p in floor_a])
            reading["s"].append(read_run.seconds / floor_a_run.seconds)
            reading["cpu"].append(read_run.cpu / floor_a_run.cpu)
            a, b = floor_a_run.seconds, floor_b_run.seconds
            cpu_ratios["A"].append(mikke.cpu / floor_a_run.cpu)
            cpu_ratios["B"].append(mikke.cpu / floor_b_run.cpu)
            floors["A"].append(a)
            floors["B"].append(b)
            ratios["A"].append(mikke.seconds / a)
            ratios["B"].append(mikke.seconds / b)
            if pf:
                ratios["pagefind"].append(mikke.seconds / pf.seconds)
                cpu_ratios["pagefind"].append(mikke.cpu / pf.cpu)
            print(
                f"{round_no:5} {pf.seconds if pf else float('nan'):10.2f} {mikke.seconds:8.2f} {a:9.2f} "
                f"{b:9.2f} {mikke.seconds / a:5.2f} {mikke.seconds / b:5.2f} "
                f"{mikke.seconds / pf.seconds if pf else float('nan'):5.2f} "
                f"{mikke.peak_rss / 2**20:7.0f} M {pf.peak_rss / 2**20 if pf else float('nan'):5.0f} M"
                f"          {mikke.cpu:6.1f} {mikke.cpu / floor_a_run.cpu:5.2f} "
                f"{mikke.cpu / floor_b_run.cpu:5.2f} "
                f"{mikke.cpu / pf.cpu if pf else float('nan'):5.2f}"
                f"                     {reading['s'][-1]:4.2f} {reading['cpu'][-1]:4.2f}"
            )

        seconds = statistics.median(r.seconds for r in mikke_runs)
        print("\nmedians")
        print(
            f"  mikke full build   {seconds:.2f} s, {len(posts) / seconds:.0f} posts/s, "
            f"{analysed_chars / seconds / 1e6:.2f} M characters/s, "
            f"peak RSS {max(r.peak_rss for r in mikke_runs) / 2**20:.0f} MB (all processes, highest round)"
        )
        for name, what in (
            ("A", "the text mikke analyses, distinct sentences"),
            ("B", "the bodies as written"),
        ):
            label = f"floor {name} (Sudachi over {what})"
            print(
                f"  {label:66} {statistics.median(floors[name]):6.2f} s"
                f"   mikke / floor {name}  {statistics.median(ratios[name]):.2f}"
                f"  (CPU {statistics.median(cpu_ratios[name]):.2f})"
            )
        print(
            f"  {'read A (floor A, each morpheme read: word id, begin, end) / floor A':66} "
            f"{statistics.median(reading['s']):6.2f}   (CPU {statistics.median(reading['cpu']):.2f})"
        )
        if pagefind_runs:
            print(
                f"  pagefind_extended  {statistics.median(r.seconds for r in pagefind_runs):.2f} s, "
                f"peak RSS {max(r.peak_rss for r in pagefind_runs) / 2**20:.0f} MB"
                f"   mikke / Pagefind  {statistics.median(ratios['pagefind']):.2f}"
                f"  (CPU {statistics.median(cpu_ratios['pagefind']):.2f})"
            )
        print(
            json.dumps(
                {
                    "posts": len(posts),
                    "mikke_s": round(seconds, 3),
                    "ratio_floor_a": round(statistics.median(ratios["A"]), 3),
                    "ratio_floor_b": round(statistics.median(ratios["B"]), 3),
                    "ratio_pagefind": round(statistics.median(ratios["pagefind"]), 3)
                    if ratios["pagefind"]
                    else None,
                    "cpu_ratio_floor_a": round(statistics.median(cpu_ratios["A"]), 3),
                    "cpu_ratio_floor_b": round(statistics.median(cpu_ratios["B"]), 3),
                    "read_a_over_floor_a": round(statistics.median(reading["s"]), 3),
                    "cpu_ratio_pagefind": round(statistics.median(cpu_ratios["pagefind"]), 3)
                    if cpu_ratios["pagefind"]
                    else None,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
