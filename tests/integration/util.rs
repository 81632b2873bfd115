use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// The repository root (samples/ lives there).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run sidtrace with `args` from the repository root.
pub fn run(args: &[&str]) -> Output {
    run_in(&root(), args)
}

/// Run sidtrace with `args` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("sidtrace")
        .expect("binary built")
        .current_dir(dir)
        .env_remove("SIDTRACE_THREADS")
        // a developer's own grammar search path must not change the tests
        .env_remove("SIDTRACE_GRAMMARS")
        .env("XDG_CONFIG_HOME", dir.join(".no-such-config"))
        .args(args)
        .output()
        .expect("sidtrace runs")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The grammar flags the samples need.
pub const SAMPLE_GRAMMARS: [&str; 4] = [
    "--grammar",
    "samples/etc/nginx/nginx.conf",
    "--grammar",
    "samples/etc/apache2/apache2.conf",
];

/// Parse JSON Lines output.
pub fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

/// gzip `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// zstd `data`.
pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).expect("zstd")
}

/// bzip2 `data`.
pub fn bzip2(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).expect("bzip2");
    e.finish().expect("bzip2")
}

/// xz `data`.
pub fn xz(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
    e.write_all(data).expect("xz");
    e.finish().expect("xz")
}

/// `sidtrace CMD --quiet FLAGS… --grammar … PATHS…` over the samples' grammars.
pub fn sample_args<'a>(cmd: &'a str, flags: &[&'a str], paths: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![cmd, "--quiet"];
    args.extend_from_slice(flags);
    args.extend(SAMPLE_GRAMMARS);
    args.extend_from_slice(paths);
    args
}
