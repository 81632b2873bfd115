//! The `sidtrace` binary: parse the command line, run, map to an exit status.

use clap::Parser;

fn main() {
    let cli = sidtrace::cli::Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = std::io::stderr();
    let code = match sidtrace::app::run(cli.command, &mut out, &mut err) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sidtrace: {e}");
            e.exit_code()
        }
    };
    drop(out);
    std::process::exit(code);
}
