//! The `sidtrace` binary: parse the command line, run, map to an exit status.

use clap::Parser;

fn main() {
    let cli = sidtrace::cli::Cli::parse();
    // Ctrl-C raises a flag the readers look at; the run then ends with 130
    // and no output. A second Ctrl-C ends the process at once.
    let _ = ctrlc::set_handler(|| {
        if sidtrace::interrupt::requested() {
            std::process::exit(sidtrace::app::exit::INTERRUPTED);
        }
        sidtrace::interrupt::request();
    });
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = std::io::stderr();
    let code = match sidtrace::app::run(cli.command, &mut out, &mut err) {
        Ok(code) => code,
        Err(e) => {
            // Messages can quote input (a value, a path): scrubbed like all output.
            eprintln!("sidtrace: {}", sidtrace::scrub::scrub(&e.to_string()));
            e.exit_code()
        }
    };
    drop(out);
    std::process::exit(code);
}
