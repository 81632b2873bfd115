//! Running the commands: inputs in, a report value out, rendered to a
//! writer. The binary only parses arguments and maps the result to an exit
//! status, so tests can run everything in-process.

use std::io::{self, Write};

use crate::catalog::Catalog;
use crate::cli::{
    Command, ExtractArgs, FormatsAction, FormatsArgs, InvestigateArgs, ReadArgs, ReportFormat,
};
use crate::extract::{self, Config, Extraction};
use crate::input;
use crate::investigate;
use crate::mapfile;
use crate::model::{Problem, Stamp};
use crate::output::{self, Target};
use crate::progress::Progress;
use crate::scrub::{self, scrub};
use crate::twilio;

/// Exit statuses, documented in the README.
pub mod exit {
    /// The output was written and every input was read.
    pub const OK: i32 = 0;
    /// A usage error (bad flag or value); clap uses it too.
    pub const USAGE: i32 = 2;
    /// The output was written, but some inputs (files or lines) could not be
    /// read; the summary on standard error says which.
    pub const INPUT_PROBLEMS: i32 = 3;
    /// Nothing to report: no outbound POST (extract) and no incident could
    /// be formed from empty inputs.
    pub const NOTHING_FOUND: i32 = 4;
    /// The output could not be written.
    pub const OUTPUT_FAILED: i32 = 5;
    /// Stopped by Ctrl-C (SIGINT) before the output was written: 128 + 2,
    /// as shells report it.
    pub const INTERRUPTED: i32 = 130;
}

/// An error that stops a command before it writes output.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A value on the command line could not be used.
    #[error("{0}")]
    Usage(String),
    /// Writing the output failed.
    #[error("cannot write {target}: {source}")]
    Output {
        /// Where.
        target: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Ctrl-C: the run stopped and wrote nothing.
    #[error("interrupted")]
    Interrupted,
}

impl AppError {
    /// The exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Usage(_) => exit::USAGE,
            AppError::Output { .. } => exit::OUTPUT_FAILED,
            AppError::Interrupted => exit::INTERRUPTED,
        }
    }
}

/// Run a parsed command line: output to `out` (unless `-o`), messages to `err`.
pub fn run(command: Command, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, AppError> {
    match command {
        Command::Extract(a) => run_extract(a, out, err),
        Command::Investigate(a) => run_investigate(a, out, err),
        Command::Formats(a) => run_formats(a, out, err),
    }
}

fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool, AppError> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        if n == 0 {
            return Err(AppError::Usage("--threads must be at least 1".into()));
        }
        b = b.num_threads(n);
    }
    b.build()
        .map_err(|e| AppError::Usage(format!("cannot start worker threads: {e}")))
}

fn parse_time(flag: &str, v: &Option<String>) -> Result<Option<Stamp>, AppError> {
    v.as_deref()
        .map(|s| {
            crate::time::parse_user_time(s).map_err(|e| AppError::Usage(format!("{flag}: {e}")))
        })
        .transpose()
}

fn parse_to(v: &Option<String>, region: &str) -> Result<Option<String>, AppError> {
    v.as_deref()
        .map(|s| {
            crate::phone::normalize_phone(s, region)
                .ok_or_else(|| AppError::Usage(format!("--to: {s:?} is not a phone number")))
        })
        .transpose()
}

/// What the reading commands read: the logs' yields (or map files').
struct Read {
    yields: Vec<extract::FileYield>,
    problems: Vec<Problem>,
    /// With `ids_only`: the ids pass 1 found (and the maps', and the extra ones).
    ids: std::collections::BTreeSet<String>,
}

/// Read logs and map files: map files (recognised by content) are loaded,
/// logs are extracted; ids carried by the maps' POSTs are searched for in
/// the logs as well, with those of `extra_ids`.
fn read_inputs(
    read: &ReadArgs,
    extra_ids: &[String],
    ids_only: bool,
    skip: &[std::path::PathBuf],
    keep_quotes: bool,
) -> Result<Read, AppError> {
    let catalog = Catalog::with_user_files(&read.grammars)
        .map_err(|e| AppError::Usage(format!("--grammar {e}")))?;
    let (mut sources, mut problems) = input::discover(&read.paths);
    // Twilio exports inside a log directory are read as exports, not logs.
    if !skip.is_empty() {
        sources.retain(|s| {
            let c = std::fs::canonicalize(&s.path).unwrap_or_else(|_| s.path.clone());
            !skip.contains(&c)
        });
    }
    let (maps, logs): (Vec<input::Source>, Vec<input::Source>) =
        sources.into_iter().partition(|s| mapfile::is_map(&s.path));
    let mut yields = Vec::new();
    for m in &maps {
        let (y, p) = mapfile::read(&m.label, &m.path);
        yields.extend(y);
        problems.extend(p);
    }
    let mut ids = extract::ids_of(yields.iter().flat_map(|y| y.observations.iter()));
    ids.extend(extra_ids.iter().cloned());
    let cfg = Config {
        max_line: read.max_line_length.max(1024),
        default_region: read.default_region.clone(),
        keep_quotes,
    };
    let total: u64 = logs.iter().map(|s| s.size).sum();
    let progress = Progress::new(total, logs.len() as u64, !read.quiet);
    let pool = pool(read.threads)?;
    if ids_only {
        let found = pool.install(|| extract::first_pass_ids(&logs, &catalog, &cfg, &progress));
        stop_if_interrupted()?;
        ids.extend(found);
        return Ok(Read {
            yields,
            problems,
            ids,
        });
    }
    let from_logs =
        pool.install(|| extract::extract_yields(&logs, &catalog, &cfg, &progress, &ids));
    stop_if_interrupted()?;
    yields.extend(from_logs);
    Ok(Read {
        yields,
        problems,
        ids,
    })
}

/// Read and link.
fn read_logs(
    read: &ReadArgs,
    skip: &[std::path::PathBuf],
    keep_quotes: bool,
) -> Result<(Extraction, Vec<Problem>), AppError> {
    let started = std::time::Instant::now();
    let r = read_inputs(read, &[], false, skip, keep_quotes)?;
    let read_time = started.elapsed();
    let mut ex = extract::assemble(r.yields);
    ex.timings = vec![
        ("read logs (passes 1 and 2)", read_time),
        ("link records (assemble)", started.elapsed() - read_time),
    ];
    let mut problems = r.problems;
    problems.extend(ex.problems.iter().cloned());
    problems.sort();
    problems.dedup();
    Ok((ex, problems))
}

/// Where `-o` writes, checked before any input is read: an `-o` naming an
/// input (a PATH, `--grammar` or `more` file, or a file inside a PATH
/// directory), or a directory that is missing or cannot be written, is a
/// usage error.
fn output_target(
    arg: Option<&str>,
    read: &ReadArgs,
    more: &[&Vec<String>],
) -> Result<Target, AppError> {
    let inputs: Vec<&str> = read
        .paths
        .iter()
        .chain(&read.grammars)
        .chain(more.iter().flat_map(|m| m.iter()))
        .map(String::as_str)
        .collect();
    output::prepare(arg, &inputs).map_err(AppError::Usage)
}

/// Ctrl-C was pressed: stop before writing anything.
fn stop_if_interrupted() -> Result<(), AppError> {
    if crate::interrupt::requested() {
        Err(AppError::Interrupted)
    } else {
        Ok(())
    }
}

/// Stream output to the `-o` target (see [`output`]: a regular file is
/// written atomically, a device or FIFO directly) or to `out`, through a
/// buffer: `write` hands over its lines as they are ready. A broken pipe
/// on `out` (or on a FIFO) ends the output quietly; Ctrl-C leaves a file
/// untouched.
fn emit_with<T: Default>(
    target: &Target,
    out: &mut dyn Write,
    write: impl FnOnce(&mut dyn Write) -> io::Result<T>,
) -> Result<T, AppError> {
    stop_if_interrupted()?;
    let fail = |e: io::Error, target: String| {
        if crate::interrupt::requested() {
            AppError::Interrupted
        } else {
            AppError::Output { target, source: e }
        }
    };
    match target {
        Target::Stdout => {
            let mut w = io::BufWriter::with_capacity(OUT_BUFFER, out);
            let done = write(&mut w).and_then(|v| w.flush().map(|_| v));
            match done {
                Ok(v) => Ok(v),
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(T::default()),
                Err(e) => Err(fail(e, "standard output".into())),
            }
        }
        _ => match output::write_file(target, write, || !crate::interrupt::requested()) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(AppError::Interrupted),
            // A FIFO whose reader went away, like a closed pipe.
            Err(e)
                if e.kind() == io::ErrorKind::BrokenPipe && matches!(target, Target::Direct(_)) =>
            {
                Ok(T::default())
            }
            Err(e) => Err(fail(e, target.name())),
        },
    }
}

/// Buffer between streamed output and the pipe.
const OUT_BUFFER: usize = 256 * 1024;

/// Write `bytes` to the `-o` target, or to `out`.
fn emit(target: &Target, bytes: &[u8], out: &mut dyn Write) -> Result<(), AppError> {
    emit_with(target, out, |w| w.write_all(bytes))
}

fn summarize(
    ex: &Extraction,
    posts: usize,
    problems: &[Problem],
    quiet: bool,
    err: &mut dyn Write,
) {
    if quiet {
        return;
    }
    let _ = writeln!(
        err,
        "sidtrace: read {} file(s), {} line(s); {} outbound POST attempt(s); {} line(s) not parsed ({} of them mention Messages.json)",
        ex.files.len(),
        ex.lines(),
        posts,
        ex.unparsed(),
        ex.unparsed_candidates()
    );
    let lookalikes = ex.lookalikes();
    if !lookalikes.is_empty() {
        let kinds: Vec<String> = lookalikes.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(
            err,
            "sidtrace: lines naming Messages.json that are no create-message POST: {}",
            kinds.join(", ")
        );
    }
    for p in unparsed_notes(ex) {
        say(err, &p);
    }
    for p in problems.iter().take(20) {
        say(err, p);
    }
    if problems.len() > 20 {
        let _ = writeln!(
            err,
            "sidtrace: … and {} more problem(s)",
            problems.len() - 20
        );
    }
}

/// A problem on standard error. Problems quote input (a field, a line), so
/// they pass the credential scrub like every other output.
fn say(err: &mut dyn Write, p: &Problem) {
    let _ = writeln!(err, "sidtrace: {}", scrub(&p.to_string()));
}

/// One note per file with lines that could not be parsed: how many, how
/// many of them mention `Messages.json` (those could change a verdict), and
/// the first few line numbers.
fn unparsed_notes(ex: &Extraction) -> Vec<Problem> {
    ex.files
        .iter()
        .filter(|f| f.unparsed() > 0)
        .map(|f| {
            let first: Vec<String> = f.first_unparsed.iter().map(|n| n.to_string()).collect();
            Problem {
                file: f.file.clone(),
                line: None,
                message: format!(
                    "{} line(s) not parsed as {}, {} of them mention Messages.json; first at line(s) {}{}",
                    f.unparsed(),
                    f.format,
                    f.unparsed_candidates,
                    first.join(", "),
                    if f.unparsed() > first.len() as u64 { ", …" } else { "" }
                ),
            }
        })
        .collect()
}

/// Phase times on standard error when `SIDTRACE_TIMINGS` is set (and not
/// `0`): a hidden switch for benchmarks.
fn timings_wanted() -> bool {
    std::env::var_os("SIDTRACE_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0")
}

fn print_timings(phases: &[(&str, std::time::Duration)], err: &mut dyn Write) {
    let total: f64 = phases.iter().map(|p| p.1.as_secs_f64()).sum();
    for (name, d) in phases {
        let secs = d.as_secs_f64();
        let share = if total > 0.0 {
            secs / total * 100.0
        } else {
            0.0
        };
        let _ = writeln!(err, "sidtrace: timing: {name}: {secs:.3} s ({share:.1} %)");
    }
    let _ = writeln!(err, "sidtrace: timing: total: {total:.3} s");
}

fn status_for(problems: &[Problem], ex: &Extraction) -> i32 {
    if !problems.is_empty() || ex.unparsed_candidates() > 0 {
        exit::INPUT_PROBLEMS
    } else {
        exit::OK
    }
}

fn run_extract(a: ExtractArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, AppError> {
    if a.map || a.ids_only {
        return run_map(a, out, err);
    }
    let since = parse_time("--since", &a.since)?;
    let until = parse_time("--until", &a.until)?;
    let to = parse_to(&a.to, &a.read.default_region)?;
    let target = output_target(a.output.as_deref(), &a.read, &[&a.ids])?;
    // extract prints no evidence text: do not keep it.
    let (ex, problems) = read_logs(&a.read, &[], false)?;
    let posts = ex.attempts.len();
    let wanted = |at: &&crate::model::Attempt| {
        !(since.is_some_and(|s| at.time.nanos < s.nanos)
            || until.is_some_and(|u| at.time.nanos >= u.nanos)
            || (to.is_some() && at.recipient != to))
    };
    let any_wanted = ex.attempts.iter().any(|a| wanted(&a));
    // Each line is written as soon as it is made: the output is never held
    // whole (it is about as big as the POST lines themselves).
    emit_with(&target, out, |w| {
        for at in ex.attempts.iter().filter(wanted) {
            if crate::interrupt::requested() {
                return Err(crate::interrupt::error());
            }
            // Credentials a log line carried (Basic auth, Auth Tokens, URL
            // passwords) are scrubbed from every string as it is written.
            scrub::to_writer(&mut *w, at)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })?;
    summarize(&ex, posts, &problems, a.read.quiet, err);
    if timings_wanted() {
        print_timings(&ex.timings, err);
    }
    let status = status_for(&problems, &ex);
    if status == exit::OK && !any_wanted {
        return Ok(exit::NOTHING_FOUND);
    }
    Ok(status)
}

/// `extract --map` and `extract --ids-only`: the map step of a sharded run.
fn run_map(a: ExtractArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, AppError> {
    let target = output_target(a.output.as_deref(), &a.read, &[&a.ids])?;
    let mut extra = Vec::new();
    for f in &a.ids {
        extra.extend(
            mapfile::read_ids(f)
                .map_err(|e| AppError::Usage(format!("--ids {f}: cannot read: {e}")))?,
        );
    }
    let r = read_inputs(&a.read, &extra, a.ids_only, &[], true)?;
    let mut problems = r.problems.clone();
    problems.extend(r.yields.iter().flat_map(|y| y.problems.iter().cloned()));
    problems.sort();
    problems.dedup();
    let unparsed: u64 = r.yields.iter().map(|y| y.summary.unparsed_candidates).sum();
    emit_with(&target, out, |w| {
        if a.ids_only {
            mapfile::write_ids(&r.ids, w)
        } else {
            mapfile::write(r.yields, w)
        }
    })?;
    if !a.read.quiet {
        for p in problems.iter().take(20) {
            say(err, p);
        }
    }
    Ok(if problems.is_empty() && unparsed == 0 {
        exit::OK
    } else {
        exit::INPUT_PROBLEMS
    })
}

fn run_investigate(
    a: InvestigateArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, AppError> {
    let since = parse_time("--since", &a.since)?;
    let until = parse_time("--until", &a.until)?;
    let to = parse_to(&a.to, &a.read.default_region)?;
    let window = match &a.window {
        Some(w) => {
            crate::time::parse_duration(w).map_err(|e| AppError::Usage(format!("--window: {e}")))?
        }
        None => investigate::DEFAULT_WINDOW,
    };
    for s in &a.sids {
        if !(s.len() == 34
            && (s.starts_with("SM") || s.starts_with("MM"))
            && s[2..].bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(AppError::Usage(format!(
                "--sid: {s:?} is not a Message SID (SM or MM and 32 hex digits)"
            )));
        }
    }
    let target = output_target(a.output.as_deref(), &a.read, &[&a.twilio])?;
    let (tsources, tproblems) = input::discover(&a.twilio);
    let skip: Vec<std::path::PathBuf> = tsources
        .iter()
        .filter_map(|s| std::fs::canonicalize(&s.path).ok())
        .collect();
    let (mut ex, mut problems) = read_logs(&a.read, &skip, true)?;
    let posts = ex.attempts.len();

    // Twilio records.
    let twilio_started = std::time::Instant::now();
    let mut records = Vec::new();
    if !a.twilio.is_empty() {
        problems.extend(tproblems);
        for s in &tsources {
            let load = input::open(&s.path).and_then(|(mut r, _)| {
                twilio::read_export_from(&s.label, &mut r, &a.read.default_region)
            });
            match load {
                Ok(load) => {
                    problems.extend(load.problems);
                    if records.is_empty() {
                        records = load.records;
                    } else {
                        records.extend(load.records);
                    }
                }
                Err(e) => problems.push(Problem {
                    file: s.label.clone(),
                    line: None,
                    message: format!("cannot read Twilio export: {e}"),
                }),
            }
        }
    }
    let records = twilio::merge(records);
    let twilio_time = twilio_started.elapsed();

    let summary = investigate::InputSummary {
        files: ex.files.len() as u64,
        lines: ex.lines(),
        unparsed_lines: ex.unparsed(),
        unparsed_candidates: ex.unparsed_candidates(),
        not_read_as_post: ex.files.iter().map(|f| f.not_read_as_post).sum(),
        lookalikes: ex.lookalikes(),
        problems: unparsed_notes(&ex)
            .into_iter()
            .chain(problems.iter().cloned())
            .collect(),
    };
    let status = status_for(&problems, &ex);
    let inputs = investigate::Inputs {
        attempts: std::mem::take(&mut ex.attempts),
        context: std::mem::take(&mut ex.context),
        twilio: records,
        twilio_given: !a.twilio.is_empty(),
        coverage: std::mem::take(&mut ex.coverage),
        quotes: std::mem::take(&mut ex.quotes),
        summary,
    };
    let opts = investigate::Options {
        to,
        sids: a.sids.clone(),
        since: since.map(|s| s.nanos),
        until: until.map(|s| s.nanos),
        window,
    };
    let join_started = std::time::Instant::now();
    let report = investigate::investigate(&inputs, &opts);
    let join_time = join_started.elapsed();
    let (format, redact) = match a.format {
        ReportFormat::Text => (investigate::Format::Text, a.redact),
        ReportFormat::Json => (investigate::Format::Json, a.redact),
        ReportFormat::Markdown => (investigate::Format::Markdown, !a.no_redact),
    };
    let mut buf = Vec::new();
    investigate::render(&report, format, redact, &mut buf).map_err(|source| AppError::Output {
        target: "report".into(),
        source,
    })?;
    let render_time = join_started.elapsed() - join_time;
    emit(&target, &buf, out)?;
    summarize(&ex, posts, &problems, a.read.quiet, err);
    if timings_wanted() {
        let mut phases = ex.timings.clone();
        phases.push(("read Twilio records", twilio_time));
        phases.push(("correlate (join, verdicts)", join_time));
        phases.push(("render", render_time));
        print_timings(&phases, err);
    }
    Ok(status)
}

/// `built-in` for the embedded grammar files, `user` for the others.
fn origin_of(file: &str) -> &'static str {
    if crate::formats::BUILTIN_FILES
        .iter()
        .any(|(f, _)| *f == file)
    {
        "built-in"
    } else {
        "user"
    }
}

fn run_formats(a: FormatsArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, AppError> {
    match a.action {
        None => {
            let catalog = Catalog::with_user_files(&a.grammars)
                .map_err(|e| AppError::Usage(format!("--grammar {e}")))?;
            let mut s = String::new();
            for (i, g) in catalog.access.iter().enumerate() {
                let origin = if i < catalog.user_count {
                    "user"
                } else {
                    "built-in"
                };
                s.push_str(&format!(
                    "{:<28} {:<9} {}\n",
                    g.name(),
                    origin,
                    g.format_text()
                ));
            }
            s.push_str(&format!(
                "{:<28} {:<9} {}\n",
                "json", "built-in", "JSON lines: zap, logrus, slog, zerolog, structlog, python-json-logger, pino, bunyan, winston, logstash-logback, ECS, tracing, OpenTelemetry; nginx escape=json, Caddy, Traefik"
            ));
            let f = &catalog.formats;
            let mut row = |name: String, what: &str, description: &str, origin: &str| {
                s.push_str(&format!(
                    "{name:<28} {:<9} {what}: {description} [{origin}]\n",
                    origin_of(origin)
                ));
            };
            for l in &f.loggers {
                let what = match l.kind {
                    crate::formats::Kind::App => "logger",
                    crate::formats::Kind::Access => "access logger",
                };
                row(format!("json:{}", l.name), what, &l.description, &l.origin);
            }
            for l in &f.lines {
                row(
                    format!("line:{}", l.name),
                    "line",
                    &l.description,
                    &l.origin,
                );
            }
            for w in &f.wrappers {
                row(
                    format!("wrapper:{}", w.name),
                    "wrapper",
                    &w.description,
                    &w.origin,
                );
            }
            for p in &f.paths {
                s.push_str(&format!(
                    "{:<28} {:<9} extra paths for {} ({} roles) [{}]\n",
                    format!("paths:{}", p.logger),
                    "user",
                    p.logger,
                    p.fields.len(),
                    p.origin
                ));
            }
            for r in catalog.roles.user_entries() {
                let fields: Vec<&str> = r
                    .nginx
                    .iter()
                    .chain(&r.apache)
                    .map(String::as_str)
                    .collect();
                s.push_str(&format!(
                    "{:<28} {:<9} {} [{}]\n",
                    format!("role:{}", r.role.name()),
                    "user",
                    fields.join(" "),
                    r.origin
                ));
            }
            emit(&Target::Stdout, s.as_bytes(), out)?;
            Ok(exit::OK)
        }
        Some(FormatsAction::Test(t)) => {
            let catalog = Catalog::with_user_files(&t.files)
                .map_err(|e| AppError::Usage(format!("grammar {e}")))?;
            let origins: Vec<String> = t.files.clone();
            let results = crate::formats::samples::test_all(&catalog, &origins);
            let mut s = String::new();
            let failed = results.iter().filter(|r| !r.failures.is_empty()).count();
            for r in &results {
                if r.failures.is_empty() {
                    continue;
                }
                s.push_str(&format!(
                    "FAIL {} sample {} ({})\n",
                    r.definition, r.index, r.origin
                ));
                for f in &r.failures {
                    s.push_str(&format!("  {f}\n"));
                }
            }
            s.push_str(&format!(
                "{} passed, {} failed\n",
                results.len() - failed,
                failed
            ));
            emit(&Target::Stdout, s.as_bytes(), out)?;
            Ok(if failed == 0 {
                exit::OK
            } else {
                exit::INPUT_PROBLEMS
            })
        }
        Some(FormatsAction::Check(read)) => {
            let catalog = Catalog::with_user_files(&read.grammars)
                .map_err(|e| AppError::Usage(format!("--grammar {e}")))?;
            let (sources, problems) = input::discover(&read.paths);
            let pool = pool(read.threads)?;
            let checks: Vec<FileCheck> = pool.install(|| {
                use rayon::prelude::*;
                sources
                    .par_iter()
                    .map(|s| check_file(s, &catalog, read.max_line_length))
                    .collect()
            });
            let mut s = String::new();
            let mut any_bad = !problems.is_empty();
            for c in &checks {
                s.push_str(&format!(
                    "{}: format {} ({}), {} line(s): {} parsed, {} not parsed, {} empty\n",
                    c.file, c.format, c.compression, c.lines, c.parsed, c.unparsed, c.empty
                ));
                for (n, msg) in &c.first_unparsed {
                    s.push_str(&format!("  {}:{}: {}\n", c.file, n, msg));
                }
                if let Some(e) = &c.error {
                    s.push_str(&format!("  {}: {}\n", c.file, e));
                }
                any_bad |= c.unparsed > 0 || c.error.is_some();
            }
            for p in &problems {
                s.push_str(&format!("{p}\n"));
            }
            // Parse errors can quote the lines they failed on.
            emit(&Target::Stdout, scrub(&s).as_bytes(), out)?;
            let _ = err;
            Ok(if any_bad {
                exit::INPUT_PROBLEMS
            } else {
                exit::OK
            })
        }
    }
}

struct FileCheck {
    file: String,
    format: String,
    compression: &'static str,
    lines: u64,
    parsed: u64,
    unparsed: u64,
    empty: u64,
    first_unparsed: Vec<(u64, String)>,
    error: Option<String>,
}

fn check_file(s: &input::Source, catalog: &Catalog, max_line: usize) -> FileCheck {
    let mut c = FileCheck {
        file: s.label.clone(),
        format: "unknown".into(),
        compression: "plain",
        lines: 0,
        parsed: 0,
        unparsed: 0,
        empty: 0,
        first_unparsed: Vec::new(),
        error: None,
    };
    let head: Vec<Vec<u8>> = match input::open(&s.path) {
        Ok((r, comp)) => {
            c.compression = comp.name();
            let mut head = Vec::new();
            input::walk_lines(r, max_line, |_, l| {
                if head.len() < crate::catalog::DETECT_LINES * 4 {
                    head.push(l.to_vec());
                }
            });
            head
        }
        Err(e) => {
            c.error = Some(format!("cannot open: {e}"));
            return c;
        }
    };
    let refs: Vec<&[u8]> = head.iter().map(|l| l.as_slice()).collect();
    let detection = catalog.detect_in(&s.label, &refs);
    let parser = detection.as_ref().map(|d| d.id);
    if let Some(d) = &detection {
        c.format = catalog.name(d.id);
        if let Some((fields, idx)) = d.partial {
            c.first_unparsed.push((
                idx as u64 + 1,
                format!(
                    "format {} matches only the first {fields} fields of most lines: pass the \
                     site's log_format or LogFormat with --grammar",
                    c.format
                ),
            ));
        }
    }
    let Ok((r, _)) = input::open(&s.path) else {
        return c;
    };
    let end = input::walk_lines(r, max_line, |n, l| {
        if l.iter().all(|b| b.is_ascii_whitespace()) {
            c.empty += 1;
            return;
        }
        let res = match parser {
            Some(p) => catalog.read(p, l, false).map(|_| ()),
            None => Err("no format reads this file".to_string()),
        };
        match res {
            Ok(()) => c.parsed += 1,
            Err(e) => {
                c.unparsed += 1;
                if c.first_unparsed.len() < 5 {
                    c.first_unparsed.push((n, e));
                }
            }
        }
    });
    c.lines = end.lines;
    if end.overlong_count > 0 {
        c.unparsed += end.overlong_count;
        for n in end.overlong {
            if c.first_unparsed.len() < 5 {
                c.first_unparsed
                    .push((n, format!("line longer than {max_line} bytes")));
            }
        }
    }
    if let Some(e) = end.error {
        c.error = Some(format!("{e} (after line {})", end.lines));
    }
    c
}
