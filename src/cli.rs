//! The command line: clap definitions only. `app` runs them.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Find out why a person got the same SMS twice: sidtrace reads HTTP request
/// logs (nginx, Apache, JSON app logs; plain, gzip, zstd, bzip2 or xz) and Twilio's
/// message records, and proves whether the app made one request or several.
#[derive(Debug, Parser)]
#[command(name = "sidtrace", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every outbound POST to Twilio's Messages API found in the logs,
    /// one JSON object per line.
    Extract(ExtractArgs),
    /// Find duplicate-SMS incidents and decide each one: one request,
    /// several requests (and why), Twilio's side, or not decidable.
    Investigate(InvestigateArgs),
    /// List the built-in log formats, or check which format each file is
    /// read with (`formats check PATH…`).
    Formats(FormatsArgs),
}

/// Options every reading command shares.
#[derive(Debug, Args, Clone)]
pub struct ReadArgs {
    /// Log files or directories (walked recursively, in name order); `-` is
    /// standard input. Compression (gzip, zstd, bzip2, xz) is recognised by
    /// content.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<String>,

    /// An nginx config (`log_format …;`), an Apache config (`LogFormat "…"
    /// name`) or a sidtrace grammar file; its formats join the built-ins.
    /// Repeatable.
    #[arg(long = "grammar", value_name = "FILE")]
    pub grammars: Vec<String>,

    /// Region whose national phone numbers are written without a country
    /// code (ISO 3166 alpha-2).
    #[arg(long, value_name = "REGION", default_value = "US")]
    pub default_region: String,

    /// Lines longer than this many bytes are counted and reported, not read.
    /// It bounds the pieces of a split container line joined, and each record
    /// of a file of JSON records written back to back, too.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_line_length: usize,

    /// Worker threads (default: one per core). The output is the same for
    /// any value.
    #[arg(short = 'j', long, value_name = "N", env = "SIDTRACE_THREADS")]
    pub threads: Option<usize>,

    /// No progress bar and no summary on standard error.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `sidtrace extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Inputs and reading options.
    #[command(flatten)]
    pub read: ReadArgs,

    /// Only attempts at or after this time (RFC 3339, a date, or epoch seconds).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only attempts before this time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Only attempts to this recipient (any common notation).
    #[arg(long, value_name = "NUMBER")]
    pub to: Option<String>,

    /// Write to FILE instead of standard output: a regular file atomically
    /// (an existing one keeps its mode and owner), a device or FIFO
    /// directly, the target of a symbolic link; `-` is standard output. An
    /// input is never written over.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<String>,

    /// The map step of a run across machines: write what each file
    /// yielded (requests, outcomes, context, coverage, problems) as a map
    /// file that `investigate` (or `extract`) accepts as input. See the
    /// README, "Past one machine".
    #[arg(long, conflicts_with_all = ["ids_only", "since", "until", "to"])]
    pub map: bool,

    /// Round one of a sharded run: print only the request, trace and job
    /// ids the outbound POSTs carry, one a line.
    #[arg(long, conflicts_with_all = ["since", "until", "to"])]
    pub ids_only: bool,

    /// Ids from other shards (`--ids-only` output) to search for too, so
    /// that context in this shard is found for requests in others.
    /// Repeatable.
    #[arg(long = "ids", value_name = "FILE")]
    pub ids: Vec<String>,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For reading in a terminal (default).
    Text,
    /// One JSON document (documented in the README).
    Json,
    /// For pasting into a support ticket; phone numbers and bodies masked
    /// unless --no-redact.
    Markdown,
}

/// `sidtrace investigate`.
#[derive(Debug, Args)]
pub struct InvestigateArgs {
    /// Inputs and reading options.
    #[command(flatten)]
    pub read: ReadArgs,

    /// Twilio message records: Console CSV export, REST API pages, Bulk
    /// Export day files, Twilio CLI JSON. Repeatable; directories are walked.
    #[arg(long = "twilio", value_name = "FILE")]
    pub twilio: Vec<String>,

    /// The complaint: the recipient's number (any common notation).
    #[arg(long, value_name = "NUMBER")]
    pub to: Option<String>,

    /// Investigate the incident holding this Message SID. Repeatable.
    #[arg(long = "sid", value_name = "SID")]
    pub sids: Vec<String>,

    /// Only messages at or after this time.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only messages before this time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// How far apart two sends of one message may be (e.g. 30m, 90s).
    #[arg(long, value_name = "DURATION")]
    pub window: Option<String>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,

    /// Write the report to FILE instead of standard output: a regular file
    /// atomically (an existing one keeps its mode and owner), a device or
    /// FIFO directly, the target of a symbolic link; `-` is standard
    /// output. An input is never written over.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<String>,

    /// Mask phone numbers and message bodies in any format.
    #[arg(long, conflicts_with = "no_redact")]
    pub redact: bool,

    /// Show phone numbers and bodies in Markdown (masked there by default).
    #[arg(long)]
    pub no_redact: bool,
}

/// `sidtrace formats`.
#[derive(Debug, Args)]
pub struct FormatsArgs {
    /// `check`: report the format chosen for each file and how many lines it reads.
    #[command(subcommand)]
    pub action: Option<FormatsAction>,

    /// Also list the formats of these grammar files.
    #[arg(long = "grammar", value_name = "FILE")]
    pub grammars: Vec<String>,
}

/// `sidtrace formats check`.
#[derive(Debug, Subcommand)]
pub enum FormatsAction {
    /// For each file: the format chosen, lines parsed and not parsed, and
    /// the first unparsed lines with their numbers.
    Check(ReadArgs),
    /// Check every definition's sample lines: read by its definition, each
    /// must give the roles its `expect` table names. With grammar files,
    /// only their definitions (besides the built-ins, which they may use);
    /// without, every built-in one and those of the search path.
    Test(FormatsTestArgs),
}

/// `sidtrace formats test`.
#[derive(Debug, Args, Clone)]
pub struct FormatsTestArgs {
    /// Grammar files whose definitions to test.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_the_documented_forms() {
        let ok = [
            vec!["sidtrace", "extract", "samples"],
            vec![
                "sidtrace",
                "extract",
                "--to",
                "+14155550134",
                "-j",
                "2",
                "a.log",
            ],
            vec![
                "sidtrace",
                "investigate",
                "--twilio",
                "t.csv",
                "--to",
                "(415) 555-0134",
                "--sid",
                "SM0",
                "--window",
                "10m",
                "--format",
                "markdown",
                "-o",
                "r.md",
                "logs",
            ],
            vec!["sidtrace", "formats"],
            vec!["sidtrace", "formats", "check", "a.log"],
        ];
        for argv in ok {
            assert!(Cli::try_parse_from(&argv).is_ok(), "{argv:?}");
        }
        let bad = [
            vec!["sidtrace", "extract"],
            vec!["sidtrace", "investigate", "--format", "pdf", "x"],
            vec!["sidtrace", "investigate", "--redact", "--no-redact", "x"],
        ];
        for argv in bad {
            assert!(Cli::try_parse_from(&argv).is_err(), "{argv:?}");
        }
    }
}
