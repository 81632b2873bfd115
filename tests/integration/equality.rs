//! The output checks on small inputs: `sidtrace extract` finds as
//! many POSTs as `rg -c Messages.json` (or `zcat | rg -c`) counts lines, on
//! plain, multi-member gzip and zstd files, and its output is byte-identical
//! for `-j1` and `-j2`.

use std::io::Write;
use std::path::Path;

use crate::util::{run_in, stdout};

const ACCOUNT: &str = "AC7d2c1f0e9b8a47c6b5a4d3e2f1a0b9c8";

/// A small deterministic generator (no dependency on a rand crate).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// An nginx combined log of `n` lines; about one in `every` is a POST to
/// the Messages API, and GETs of single messages (`Messages/SM….json`) are
/// mixed in, which are not.
fn nginx_log(n: usize, every: u64, seed: u64) -> String {
    let mut r = Lcg(seed);
    let mut s = String::new();
    for i in 0..n {
        let sec = i / 7;
        let t = format!(
            "20/Nov/2026:{:02}:{:02}:{:02} +0000",
            sec / 3600 % 24,
            sec / 60 % 60,
            sec % 60
        );
        match r.next() % every {
            0 => s.push_str(&format!(
                "10.0.1.21 - - [{t}] \"POST /2010-04-01/Accounts/{ACCOUNT}/Messages.json HTTP/1.1\" 201 812 \"-\" \"twilio-python/9.3.7 (Linux x86_64) Python/3.11.9\"\n"
            )),
            1 => s.push_str(&format!(
                "10.0.1.21 - - [{t}] \"GET /2010-04-01/Accounts/{ACCOUNT}/Messages/SM{:032x}.json HTTP/1.1\" 200 640 \"-\" \"twilio-python/9.3.7 (Linux x86_64) Python/3.11.9\"\n",
                r.next()
            )),
            _ => s.push_str(&format!(
                "203.0.113.{} - - [{t}] \"GET /appointments/{} HTTP/1.1\" 200 {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0\"\n",
                r.next() % 250,
                r.next() % 1000,
                r.next() % 9000
            )),
        }
    }
    s
}

/// A zap-style JSON app log: request records of Twilio calls, each followed
/// by its response record (which carries no URL), among job records.
fn zap_log(n: usize, every: u64, seed: u64) -> String {
    let mut r = Lcg(seed);
    let mut s = String::new();
    for i in 0..n {
        let ts = 1_795_192_400.0 + i as f64 * 0.25;
        let rid = format!("{:016x}", r.next() << 20 | r.next());
        if r.next() % every == 0 {
            s.push_str(&format!(
                "{{\"level\":\"info\",\"ts\":{ts:.6},\"logger\":\"worker.sms\",\"caller\":\"sms/twilio.go:52\",\"msg\":\"twilio request\",\"method\":\"POST\",\"url\":\"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json\",\"to\":\"+1415555{:04}\",\"body\":\"Your code is {}.\",\"request_id\":\"{rid}\"}}\n",
                r.next() % 10_000,
                r.next() % 1_000_000
            ));
            s.push_str(&format!(
                "{{\"level\":\"info\",\"ts\":{:.6},\"logger\":\"worker.sms\",\"caller\":\"sms/twilio.go:61\",\"msg\":\"twilio response\",\"request_id\":\"{rid}\",\"status\":201,\"sid\":\"SM{:016x}{:016x}\",\"elapsed\":0.38}}\n",
                ts + 0.1,
                r.next(),
                r.next()
            ));
        } else {
            s.push_str(&format!(
                "{{\"level\":\"info\",\"ts\":{ts:.6},\"logger\":\"worker.jobs\",\"caller\":\"jobs/runner.go:40\",\"msg\":\"job started\",\"job_id\":\"job-{rid}\",\"pid\":4121}}\n"
            ));
        }
    }
    s
}

fn gzip_members(text: &str, member: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for part in text.as_bytes().chunks(member) {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(part).expect("in memory");
        out.extend(e.finish().expect("in memory"));
    }
    out
}

/// What `rg -c Messages.json` counts: lines holding the literal.
fn rg_count(text: &str) -> usize {
    text.lines().filter(|l| l.contains("Messages.json")).count()
}

fn extract_lines(dir: &Path, threads: &str, paths: &[&str]) -> String {
    let mut args = vec!["extract", "--quiet", "-j", threads];
    args.extend_from_slice(paths);
    let o = run_in(dir, &args);
    assert!(
        matches!(o.status.code(), Some(0)),
        "extract failed: {:?}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    stdout(&o)
}

fn check(dir: &Path, name: &str, bytes: &[u8], text: &str) {
    std::fs::write(dir.join(name), bytes).expect("write corpus");
    let want = rg_count(text);
    assert!(want > 10, "the corpus must hold POSTs");
    let one = extract_lines(dir, "1", &[name]);
    assert_eq!(
        one.lines().count(),
        want,
        "{name}: POSTs found vs Messages.json lines"
    );
    let two = extract_lines(dir, "2", &[name]);
    assert_eq!(one, two, "{name}: -j1 and -j2 differ");
}

#[test]
fn plain_log_hits_equal_rg_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = nginx_log(20_000, 40, 1);
    check(dir.path(), "access.log", text.as_bytes(), &text);
}

#[test]
fn multi_member_gzip_hits_equal_zcat_rg_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = nginx_log(20_000, 40, 2);
    // nginx `access_log … gzip` style: a member per 64 KiB, cut mid-line.
    let mut gz = gzip_members(&text, 64 * 1024);
    // and `cat a.gz b.gz`
    let more = nginx_log(3_000, 25, 3);
    gz.extend(gzip_members(&more, usize::MAX));
    let all = format!("{text}{more}");
    check(dir.path(), "access.log.1.gz", &gz, &all);
}

#[test]
fn zstd_log_hits_equal_zstdcat_rg_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = nginx_log(20_000, 40, 4);
    let z = zstd::encode_all(text.as_bytes(), 3).expect("in memory");
    check(dir.path(), "access.log.2.zst", &z, &text);
}

#[test]
fn bzip2_and_xz_logs_hit_equal_rg_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Two streams each, as `pbzip2` and `cat a.xz b.xz` write.
    let (a, b) = (nginx_log(12_000, 40, 6), nginx_log(3_000, 25, 7));
    let all = format!("{a}{b}");
    let mut bz = crate::util::bzip2(a.as_bytes());
    bz.extend(crate::util::bzip2(b.as_bytes()));
    check(dir.path(), "access.log.3.bz2", &bz, &all);
    let mut x = crate::util::xz(a.as_bytes());
    x.extend(crate::util::xz(b.as_bytes()));
    check(dir.path(), "access.log.4.xz", &x, &all);
}

#[test]
fn json_app_log_hits_equal_rg_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = zap_log(10_000, 50, 5);
    check(dir.path(), "worker.log", text.as_bytes(), &text);
}

#[test]
fn a_directory_gives_the_same_bytes_for_any_thread_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(logs.join("web-1")).expect("mkdir");
    std::fs::create_dir_all(logs.join("worker-1")).expect("mkdir");
    let mut want = 0;
    for i in 0..4u64 {
        let t = nginx_log(4_000, 30, 10 + i);
        want += rg_count(&t);
        let name = logs.join("web-1").join(format!("access.log.{i}.gz"));
        std::fs::write(name, gzip_members(&t, 64 * 1024)).expect("write");
    }
    let t = zap_log(5_000, 40, 20);
    want += rg_count(&t);
    std::fs::write(logs.join("worker-1/worker.log"), &t).expect("write");
    let t = nginx_log(5_000, 30, 21);
    want += rg_count(&t);
    std::fs::write(
        logs.join("web-1/access.log.zst"),
        zstd::encode_all(t.as_bytes(), 3).expect("in memory"),
    )
    .expect("write");
    let one = extract_lines(dir.path(), "1", &["logs"]);
    assert_eq!(one.lines().count(), want);
    for _ in 0..2 {
        assert_eq!(extract_lines(dir.path(), "2", &["logs"]), one);
        assert_eq!(extract_lines(dir.path(), "3", &["logs"]), one);
    }
}
