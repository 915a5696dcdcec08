"""The ``respcheck`` command line.

Exit codes (the same for every command):
  0  ran, no error finding
  1  ran, error findings (conformance failures)
  2  could not run: bad usage, unreadable input, bad targets.yaml, unreachable target
  3  a budget was exhausted before the run finished
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click

from respcheck import __version__
from respcheck.options import OPTIONS, RUN_OPTIONS, target_values
from respcheck.profiles import PROFILES
from respcheck.session.tally import EXIT_COULD_NOT_RUN, EXIT_FAILURES, EXIT_OK


def fail(message: str, code: int = EXIT_COULD_NOT_RUN) -> NoReturn:
    """Print one line to stderr and exit: the CLI never shows a traceback for bad input."""
    click.echo(f"respcheck: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="respcheck")
def cli() -> None:
    """Conformance tests for OpenAI Responses API relays and gateways."""


def main(argv: list[str] | None = None) -> None:
    """Entry point: a usage mistake or an unexpected exception is one line on stderr (exit 2).

    ``RESPCHECK_DEBUG=1`` shows the traceback of an internal error.
    """
    import os

    try:
        # not standalone: click would print its usage errors on four lines and Ctrl-C as exit 1
        code = cli.main(args=argv, prog_name="respcheck", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:  # a bare group: its help, as click shows it
        click.echo(exc.ctx.get_help() if exc.ctx is not None else exc.format_message())
        sys.exit(EXIT_COULD_NOT_RUN)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "respcheck"
        fail(f"{exc.format_message()} ({command} --help lists the options)")
    except click.ClickException as exc:
        fail(exc.format_message())
    except (KeyboardInterrupt, click.Abort):
        fail("interrupted", 130)
    except Exception as exc:  # a bug in respcheck, not in the user's input
        if os.environ.get("RESPCHECK_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (RESPCHECK_DEBUG=1 shows the traceback)")
    sys.exit(code if isinstance(code, int) else EXIT_OK)  # --help and --version return 0


@cli.command("checks")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable list.")
def checks_command(as_json: bool) -> None:
    """List every registered check: id, default severity, what it enforces."""
    from respcheck.checks import all_checks

    rows = all_checks()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {"id": c.id, "severity": c.severity.value, "applies": c.applies,
                     "summary": c.summary, "clause": c.clause}
                    for c in rows
                ],
                indent=2,
            )
        )
        return
    width = max((len(c.id) for c in rows), default=10)
    for c in rows:
        click.echo(f"{c.id:<{width}}  {c.severity.value:<7}  {c.summary}")
    click.echo(f"\n{len(rows)} checks")


@cli.command("replay")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--profile", default="openai", show_default=True, help=" | ".join(PROFILES))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON verdict on stdout.")
@click.option("--provider", default=None, help="Judge only recordings from this provider.")
@click.option("--strict", is_flag=True, help="Entries outside the Responses API are errors (exit 2), "
              "not skipped.")
@click.option("--quiet", "-q", is_flag=True, help="Only the summary.")
def replay_command(paths: tuple[Path, ...], profile: str, as_json: bool, provider: str | None,
                   strict: bool, quiet: bool) -> None:
    """Judge recorded traffic: respcheck JSONL, HAR 1.2 or VCR.py YAML files or folders."""
    from respcheck.judge import judge_recording
    from respcheck.profiles import UnknownProfile, get_profile
    from respcheck.replay.load import LoadError, iter_files, load_file
    from respcheck.session.repro import curl_for_exchange

    try:
        chosen = get_profile(profile)
    except UnknownProfile as exc:
        fail(str(exc))
    verdict: dict[str, dict] = {}
    bad: list[LoadError] = []
    skipped: list[LoadError] = []  # entries outside the Responses API (a browser HAR's GET /v1/models)
    by_check: Counter[tuple[str, str]] = Counter()
    ids_taken: set[str] = set()
    times_seen: Counter[str] = Counter()  # ids repeat (a recording replayed twice): each one is judged
    for source in iter_files(list(paths)):
        items = [source] if isinstance(source, LoadError) else list(load_file(source))
        exchanges = []
        for item in items:
            if isinstance(item, LoadError) and item.outside and not strict:
                skipped.append(item)
            elif isinstance(item, LoadError):
                bad.append(item)
                click.echo(f"respcheck: {item}", err=True)
            elif provider is None or item.provider == provider:
                item.id = _unique_id(item.id, ids_taken, times_seen)
                exchanges.append(item)
        # One file is one scenario: the sequence checks see its exchanges in order. A body the
        # recorder did not keep is unknown: that exchange is listed, not judged.
        judged = judge_recording([ex for ex in exchanges if ex.not_recorded is None], chosen)
        for item in exchanges:
            findings = judged.get(item.id, [])
            for f in findings:
                by_check[(f.check_id, f.severity.value)] += 1
            verdict[item.id] = {
                "name": f"{item.request.method} {item.request.path}",
                "provider": item.provider,
                "endpoint": item.endpoint,
                "streamed": item.streamed,
                "verdict": "not recorded" if item.not_recorded else _verdict(findings),
                "findings": [f.to_dict() for f in findings],
                "curl": curl_for_exchange(item, {"name": "replay", "base_url": item.origin}),
            }
            if item.not_recorded:
                verdict[item.id]["not_recorded"] = item.not_recorded
    errors = sum(1 for v in verdict.values() if v["verdict"] == "fail")
    unrecorded = sum(1 for v in verdict.values() if v["verdict"] == "not recorded")
    outside = Counter(s.message.split("(", 1)[-1].split(")", 1)[0] for s in skipped)
    if as_json:
        click.echo(json.dumps({
            "profile": chosen.name,
            "exchanges": verdict,
            "unreadable": [str(b) for b in bad],
            "skipped": [str(s) for s in skipped],
            "summary": {
                "exchanges": len(verdict), "failed": errors, "unreadable": len(bad), "skipped": len(skipped),
                "not_recorded": unrecorded,
                "findings": {f"{cid} ({sev})": n for (cid, sev), n in sorted(by_check.items())},
            },
        }, indent=1))
    else:
        if not quiet:
            for exchange_id, v in verdict.items():
                if v["verdict"] == "not recorded":
                    click.echo(f"not recorded  {v['name']}  ({exchange_id}): {v['not_recorded']}")
                if not v["findings"]:
                    continue
                click.echo(f"{v['name']}  ({exchange_id})")
                for f in v["findings"]:
                    click.echo(f"  {f['severity']:<7} {f['check_id']}: {f['message']}  [{f['location']}]")
                click.echo(f"  repro: {v['curl']}")
        for (cid, sev), n in sorted(by_check.items(), key=lambda kv: (-kv[1], kv[0])):
            click.echo(f"  {n:>5}  {sev:<7}  {cid}")
        shown = ", ".join(f"{name} x{n}" for name, n in sorted(outside.items()))
        click.echo(f"{len(verdict)} exchanges judged under {chosen.name}: {errors} with errors, "
                   f"{unrecorded} not recorded, {len(bad)} unreadable, {len(skipped)} skipped outside the "
                   f"Responses API" + (f" ({shown}; --strict makes them errors)" if skipped else ""))
    if bad:
        sys.exit(EXIT_COULD_NOT_RUN)
    sys.exit(EXIT_FAILURES if errors else EXIT_OK)


def _unique_id(exchange_id: str, taken: set[str], times_seen: Counter[str]) -> str:
    """``id``, or ``id#2``, ``id#3``... for its repeats: every exchange is judged and counted on its own."""
    unique = exchange_id
    while unique in taken:
        times_seen[exchange_id] += 1
        unique = f"{exchange_id}#{times_seen[exchange_id] + 1}"
    taken.add(unique)
    return unique


def _verdict(findings: list) -> str:
    if any(f.severity.value == "error" for f in findings):
        return "fail"
    return "warn" if any(f.severity.value == "warning" for f in findings) else "pass"


@cli.group("schemas")
def schemas_group() -> None:
    """Derive and inspect the JSON Schema profiles in schemas/."""


@schemas_group.command("build")
@click.option("--specs", type=click.Path(path_type=Path), default=None,
              help="Folder holding openai-openapi.json and openresponses-openapi.json "
                   "(default: the checkout's specs/).")
@click.option("--docs", type=click.Path(path_type=Path), default=None,
              help="Folder holding the relay doc pages (default: docs/ inside --specs).")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Where to write (default: the repo's schemas/).")
def schemas_build(specs: Path | None, docs: Path | None, out: Path | None) -> None:
    """Rebuild schemas/ deterministically from the specs (byte-identical on re-run)."""
    from respcheck.schemas import build
    from respcheck.schemas.registry import schemas_root

    specs = specs or build.default_specs_dir()
    out = out or schemas_root()
    if not specs.is_dir():
        fail(f"specs folder {specs} not found (an installed respcheck carries no specs); "
             "pass --specs DIR, e.g. the specs/ of a respcheck checkout")
    kwargs = {"docs_dir": docs} if docs is not None else {}
    try:
        written = build.build_all(specs, out, **kwargs)
    except build.BuildError as exc:  # a missing, unreadable or changed spec: the user's input
        fail(str(exc))
    click.echo(f"wrote {len(written)} schema files to {out}")


@cli.command("targets")
@click.option("--targets-file", default=None, help="Path to targets.yaml (default: ./targets.yaml).")
def targets_command(targets_file: str | None) -> None:
    """List the targets of targets.yaml and whether each can be tested here (its key variable set)."""
    from respcheck.config import ConfigError, load_targets, skip_reason, url_problem
    from respcheck.redact import redact_url

    try:
        config = load_targets(targets_file)
    except ConfigError as exc:
        fail(str(exc))
    for name in config.names():
        target = config.get(name)
        url = target.resolved_base_url()
        # a URL from base_url_env is not validated until a run: never print credentials it holds
        problem = url_problem(url) if url and target.base_url_env else None
        shown = redact_url(url) if url and not problem else f"${target.base_url_env}"
        where = "embedded" if target.embedded else shown
        status = skip_reason(target) or "ready"
        if problem:
            status = f"cannot run: {target.base_url_env}: {problem}"
        click.echo(f"{name:<12} {where:<40} {','.join(target.profiles):<24} {status}")


def run_options(command: Callable[..., None]) -> Callable[..., None]:
    """The run options from the one table (respcheck.options), as click options."""
    for option in reversed(OPTIONS):
        if option.is_flag:
            flag = click.option(option.flag, option.name, is_flag=True, default=None, help=option.help)
            command = flag(command)
            continue
        kind = click.Path(path_type=Path) if option.path else option.type
        command = click.option(option.flag, option.name, type=kind, default=None, help=option.help)(command)
    return command


PASSED_OPTIONS = {o.name for o in RUN_OPTIONS} - {"report_dir"}  # handed to pytest as they are


@cli.command("run", context_settings={"ignore_unknown_options": False})
@run_options
@click.option("--suite", "suites", multiple=True, help="Run only this suite (repeatable).")
@click.option("-k", "keyword", default=None, help="pytest -k expression.")
@click.option("-n", "workers", default="0", show_default=True, help="pytest-xdist workers (N or auto).")
@click.option("--hypothesis-profile", default="ci", show_default=True,
              type=click.Choice(["smoke", "ci", "nightly"]))
@click.option("-v", "--verbose", is_flag=True, help="One line per test.")
@click.option("--details", is_flag=True, help="Also print each failing test's findings and repro "
              "(by default the run ends with the failures grouped by root cause).")
@click.option("--tag", "tags", multiple=True, help="Run every target of targets.yaml carrying this tag "
              "(repeatable: all of them), each into <report-dir>/<target>/, then <report-dir>/matrix.html.")
@click.option("--parallel-targets", default=1, show_default=True, type=int,
              help="With --tag: how many targets run at once.")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- PYTEST_ARGS...]")
def run_command(suites: tuple[str, ...], keyword: str | None, workers: str, hypothesis_profile: str,
                verbose: bool, details: bool, tags: tuple[str, ...], parallel_targets: int,
                pytest_args: tuple[str, ...], report_dir: Path | None, **given: object) -> None:
    """Run the conformance suites against a target and write a report.

    Anything after ``--`` goes to pytest as it is (e.g. ``-- --hypothesis-seed 1 -x``)."""
    from respcheck.run import CannotRun, RunOptions, run
    from respcheck.selection import TargetOptions
    from respcheck.stopping import stop_on_signals

    if tags:
        run_tags(tags, parallel_targets, report_dir, given, [
            *(f"--suite={s}" for s in suites), *(["-k", keyword] if keyword else []), "-n", workers,
            "--hypothesis-profile", hypothesis_profile, *(["-v"] if verbose else []),
            *(["--details"] if details else []), *(["--", *pytest_args] if pytest_args else []),
        ])

    opts = RunOptions(
        target=TargetOptions(**target_values(lambda o: given[o.name])),
        gate={name: value for name, value in given.items() if name in PASSED_OPTIONS},
        suites=suites,
        keyword=keyword,
        workers=workers,
        hypothesis_profile=hypothesis_profile,
        report_dir=report_dir,
        verbose=verbose,
        details=details,
        pytest_args=pytest_args,
    )
    try:
        with stop_on_signals():
            code = run(opts)
    except CannotRun as exc:
        fail(str(exc))
    sys.exit(code)


def run_tags(tags: tuple[str, ...], parallel: int, report_dir: Path | None, given: dict[str, object],
             own_args: list[str]) -> NoReturn:
    """``respcheck run --tag``: the tagged targets, each run with the same options as this one."""
    from respcheck.run_tagged import TaggedRunError, run_tagged
    from respcheck.stopping import stop_on_signals

    per_target = {"target", "base_url", "api_key_env"}
    clash = [o.flag for o in OPTIONS if o.name in per_target and given.get(o.name) is not None]
    if clash:
        fail(f"--tag and {clash[0]}: choose one — every tagged target, or one target")
    forwarded: list[str] = []
    for option in OPTIONS:
        value = given.get(option.name)
        if value is None or option.name == "report_dir":
            continue
        forwarded += [option.flag] if option.is_flag else [option.flag, str(value)]
    root = report_dir or Path("reports") / f"{time.strftime('%Y%m%d-%H%M%S')}-{'-'.join(tags)}"
    # the targets file is read here to choose the targets, and by each run (it is forwarded too)
    targets_file = given.get("targets_file")
    try:
        with stop_on_signals():
            code = run_tagged(tags, str(targets_file) if targets_file else None, Path(root),
                              [*forwarded, *own_args], parallel, say=click.echo)
    except TaggedRunError as exc:
        fail(str(exc))
    sys.exit(code)


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8787, show_default=True, type=int, help="0 to 65535; 0 picks a free port.")
@click.option("--db", type=click.Path(path_type=Path), default=None,
              help="SQLite file: a new one, or one an earlier serve wrote (default: a temporary one).")
@click.option("--api-key", default=None, help="Accept only this key (default: any Bearer key).")
@click.option("--auth-header", default="Authorization", show_default=True,
              help="The header the key must come in: Authorization (as Bearer), or e.g. api-key or x-api-key "
                   "(the bare key, as Azure-style relays take it).")
@click.option("--latency", default=0.0, show_default=True, type=float,
              help="Seconds between streamed tokens (to exercise background and cancel).")
@click.option("--latency-ttfb", default=0.0, show_default=True, type=float,
              help="Seconds a (foreground) create waits before answering: a slow model's time to first byte.")
@click.option("--fault", "faults", default=None, metavar="NAME[,NAME...]",
              help="Break the server on purpose: faults from the catalogue (respcheck selftest --list).")
@click.option("--profile", default="openai", show_default=True,
              help="Speak the wire form of this profile (or comma-separated list), e.g. openresponses.")
def serve_command(host: str, port: int, db: Path | None, api_key: str | None, auth_header: str,
                  latency: float, latency_ttfb: float, faults: str | None, profile: str) -> None:
    """Run the embedded reference Responses API server."""
    from respcheck.profiles import UnknownProfile
    from respcheck.server.run import serve_main
    from respcheck.server.wire import wire_form

    try:
        wire_form(profile)
    except UnknownProfile as exc:
        fail(f"--profile: {exc}")

    if not 0 <= port <= 65535:
        fail(f"--port {port}: not a TCP port — choose one from 1 to 65535, or 0 for a free one")

    wrapper = None
    if faults:
        from respcheck.faults.layer import FaultLayer, UnknownFault, resolve

        try:
            chosen = resolve(faults)
        except UnknownFault as exc:
            fail(str(exc))
        click.echo(f"faults on: {', '.join(f.name for f in chosen)}", err=True)

        def wrapper(app):  # the per-request fault header is never honoured here
            return FaultLayer(app, chosen)

    sys.exit(serve_main(host=host, port=port, db=db, api_key=api_key, latency=latency, app_wrapper=wrapper,
                        profile=profile, first_byte=latency_ttfb, auth_header=auth_header))


@cli.command("selftest")
@click.option("--fast", is_flag=True, help="The quick subset: every fault family and all benign variations.")
@click.option("--fault", "names", multiple=True, metavar="NAME[,NAME...]",
              help="Only these faults (repeatable; comma-separated like serve --fault).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["contract", "transport", "benign"]),
              help="Only faults of this kind (repeatable).")
@click.option("--list", "list_only", is_flag=True, help="List the catalogue and exit.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None,
              help="Also write every result (fired checks, scenarios, timings) to this JSON file.")
@click.option("--markdown", is_flag=True, help="Print the table as Markdown (for the README).")
@click.option("--report-dir", type=click.Path(path_type=Path), default=None,
              help="Write the exchanges and findings as a run report (summary.json, HAR, index.html...).")
def selftest_command(fast: bool, names: tuple[str, ...], kinds: tuple[str, ...], list_only: bool,
                     json_path: Path | None, markdown: bool, report_dir: Path | None) -> None:
    """Break the reference server in every catalogued way and print respcheck's mutation score."""
    from respcheck.faults import selftest as st
    from respcheck.faults.catalogue import CATALOGUE
    from respcheck.faults.harness import HarnessError

    names = tuple(n.strip() for given in names for n in given.split(",") if n.strip())
    unknown = [n for n in names if n not in CATALOGUE]
    if unknown:
        fail(f"unknown fault {unknown[0]!r} (respcheck selftest --list shows them all)")
    faults = st.select(names, fast=fast, kinds=kinds)
    if list_only:
        width = max(len(f.name) for f in faults)
        for f in faults:
            click.echo(f"{f.name:<{width}}  {f.kind:<9}  {f.detected_by or '-':<40}  {f.models}")
        return
    try:
        results = st.run_selftest(faults, progress=lambda r: click.echo(
            f"  {r.fault.name:<36} {r.verdict}", err=True), report_dir=report_dir)
    except HarnessError as exc:
        fail(str(exc))
    click.echo(st.markdown(results) if markdown else st.table(results))
    summary = st.score(results)
    click.echo(st.score_line(summary))
    if json_path is not None:
        st.write_json(json_path, results)
    sys.exit(EXIT_OK if summary["all_ok"] else EXIT_FAILURES)


@cli.group("report")
def report_group() -> None:
    """Pages built from finished runs' report folders."""


@report_group.command("matrix")
@click.argument("report_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("reports/matrix.html"),
              show_default=True, help="Where to write the page.")
@click.option("--history", type=click.Path(path_type=Path), default=None,
              help="history.sqlite for the changes (default: the one beside the first report folder).")
def report_matrix(report_dirs: tuple[Path, ...], out: Path, history: Path | None) -> None:
    """One HTML page: targets as columns, areas and check ids as rows, changes since the last run."""
    from respcheck.reports.matrix import MatrixError, build_matrix, default_history

    dirs = list(report_dirs)
    try:
        written = build_matrix(dirs, out, history or default_history(dirs))
    except MatrixError as exc:
        fail(str(exc))
    click.echo(f"wrote {written}")


if __name__ == "__main__":
    main()
