//! Benchmark corpus generator: large, realistic logs with a sprinkling of
//! outbound POSTs to Twilio's Messages API, and Twilio exports to match.
//!
//! ```text
//! cargo run --release --example gen_corpus -- KIND --out PATH [options]
//!
//! KIND     nginx-combined | nginx-egress | apache-combined | json-zap |
//!          json-structlog | twilio-csv | rotated
//! --size SIZE          bytes of (uncompressed) log to write: 1GiB, 256MiB, 200MB, 10k …
//! --post-every N       one Twilio POST per N lines of ordinary traffic (default 2000)
//! --compress C         none | gz | gz-members (one gzip member per 64 KiB, as
//!                      nginx `access_log … gzip` writes) | zst
//! --seed N             random seed (default 1); the same seed gives the same bytes
//! --files N            rotated: how many files (default 8), written as
//!                      access.log, access.log.1, access.log.2.gz (members), … .zst
//! --wrap cri           write each line as a Kubernetes CRI log line (containerd:
//!                      `<time> stdout F <line>`); one line in 97 is split into a P
//!                      and an F piece with a stderr line between them (a POST line
//!                      after its `Messages.json`), one in 53 follows a stderr line
//! --records N          twilio-csv: how many message records (default 1000000)
//! --posts N            twilio-csv: how many of them match POSTs of a json-zap log
//!                      generated with the same seed and `--posts` (default 0)
//! ```
//!
//! Every line that contains `Messages.json` is an outbound create-message
//! POST, so `rg -c Messages.json` counts exactly what `sidtrace extract`
//! should find. With `--posts N`, json-zap writes exactly N POSTs evenly
//! spread over the file, and twilio-csv writes their records (same SIDs,
//! recipients and times) plus unrelated ones up to `--records`.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

const ACCOUNT: &str = "AC7d2c1f0e9b8a47c6b5a4d3e2f1a0b9c8";
/// 2026-11-20T00:00:00Z.
const T0: i64 = 1_795_132_800;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
    fn hex(&mut self, out: &mut String, n: usize) {
        const H: &[u8; 16] = b"0123456789abcdef";
        let mut v = self.next();
        for i in 0..n {
            if i % 16 == 15 {
                v = self.next();
            }
            out.push(H[(v & 15) as usize] as char);
            v >>= 4;
        }
    }
}

const UAS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "okhttp/4.12.0",
    "curl/8.5.0",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
];
const PATHS: &[&str] = &[
    "/appointments/new",
    "/appointments",
    "/static/app.js",
    "/static/app.css",
    "/api/slots",
    "/api/doctors",
    "/login",
    "/favicon.ico",
    "/healthz",
    "/patients/",
    "/api/appointments/",
];
const REFS: &[&str] = &[
    "-",
    "https://clinic.example/",
    "https://clinic.example/appointments",
    "https://www.google.com/",
];
const LIBS: &[&str] = &[
    "twilio-python/9.3.7 (Linux x86_64) Python/3.11.9",
    "twilio-node/5.3.5 (linux x64) node/v20.18.0",
    "twilio-go/1.23.0 (linux amd64) go/go1.22.5",
];
const BODIES: &[&str] = &[
    "Reminder: your appointment with Dr. Chen is tomorrow at 11:00 AM. Reply C to confirm.",
    "Your verification code is 303387.",
    "Welcome to Acme Clinic! Reply STOP to opt out.",
    "Acme Clinic will be closed on Thanksgiving (Nov 26). Call 415-555-0199 for urgent care.",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `20/Nov/2026:12:00:05 +0000` for epoch seconds, cached per second.
struct Clf {
    sec: i64,
    text: String,
}

impl Clf {
    fn get(&mut self, sec: i64) -> &str {
        if sec != self.sec {
            self.sec = sec;
            let dt = chrono::DateTime::from_timestamp(sec, 0).unwrap_or_default();
            use chrono::{Datelike, Timelike};
            self.text = format!(
                "{:02}/{}/{}:{:02}:{:02}:{:02} +0000",
                dt.day(),
                MONTHS[dt.month0() as usize],
                dt.year(),
                dt.hour(),
                dt.minute(),
                dt.second()
            );
        }
        &self.text
    }
}

fn iso(micros: i64) -> String {
    let dt = chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default();
    dt.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Recipients for ordinary log lines: a pool of 10,000 numbers.
fn phone(rng: &mut Rng) -> String {
    phone_in(rng, 10_000)
}

/// A recipient drawn from a pool of `pool` numbers (at most 7,999,999).
/// The investigate corpora size the pool with the record count, as a real
/// sender's audience grows with its traffic: then ten times the records
/// make about ten times the incidents, not a hundred.
fn phone_in(rng: &mut Rng, pool: u64) -> String {
    format!("+1{}", 4_152_000_000 + rng.below(pool.clamp(1, 7_999_999)))
}

fn sid(rng: &mut Rng) -> String {
    let mut s = String::from("SM");
    rng.hex(&mut s, 32);
    s
}

fn form_encode(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                o.push(b as char)
            }
            b' ' => o.push('+'),
            _ => o.push_str(&format!("%{b:02X}")),
        }
    }
    o
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    NginxCombined,
    NginxEgress,
    ApacheCombined,
    JsonZap,
    JsonStructlog,
}

/// A POST planned for a json-zap log: its time, recipient and SID, so the
/// Twilio export can hold the matching record.
struct Planned {
    micros: i64,
    to: String,
    sid: String,
}

fn planned_posts(seed: u64, n: u64, span_secs: i64) -> Vec<Planned> {
    let mut rng = Rng(seed ^ 0x9e37_79b9_7f4a_7c15 | 1);
    (0..n)
        .map(|i| {
            let micros = T0 * 1_000_000 + (i as i64 * span_secs * 1_000_000) / n.max(1) as i64;
            Planned {
                micros,
                to: phone_in(&mut rng, (n * 100).max(10_000)),
                sid: sid(&mut rng),
            }
        })
        .collect()
}

struct Gen {
    kind: Kind,
    rng: Rng,
    clf: Clf,
    post_every: u64,
    line_no: u64,
    /// Seconds since T0 advanced per line (a week over the file).
    micros: i64,
    step_micros: i64,
    /// Lines to write before the next ordinary one (responses, job ends).
    pending: Vec<String>,
    planned: Vec<Planned>,
    planned_next: usize,
    planned_every: u64,
}

impl Gen {
    fn new(kind: Kind, seed: u64, size: u64, post_every: u64, planned: Vec<Planned>) -> Gen {
        let avg_line = match kind {
            Kind::JsonZap | Kind::JsonStructlog => 230,
            Kind::NginxEgress => 240,
            _ => 190,
        };
        let lines = (size / avg_line).max(1);
        let step_micros = ((7 * 86_400 * 1_000_000) / lines as i64).max(1);
        let planned_every = if planned.is_empty() {
            0
        } else {
            (lines / planned.len() as u64).max(2)
        };
        Gen {
            kind,
            rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            clf: Clf {
                sec: i64::MIN,
                text: String::new(),
            },
            post_every: post_every.max(1),
            line_no: 0,
            micros: T0 * 1_000_000,
            step_micros,
            pending: Vec::new(),
            planned,
            planned_next: 0,
            planned_every,
        }
    }

    fn line(&mut self, out: &mut String) {
        out.clear();
        self.line_no += 1;
        self.micros += self.step_micros;
        if let Some(p) = self.pending.pop() {
            out.push_str(&p);
            return;
        }
        let post = if self.planned_every > 0 {
            self.line_no % self.planned_every == 0 && self.planned_next < self.planned.len()
        } else {
            self.rng.below(self.post_every) == 0
        };
        match self.kind {
            Kind::NginxCombined | Kind::ApacheCombined => self.access(out, post),
            Kind::NginxEgress => self.egress(out, post),
            Kind::JsonZap => self.zap(out, post),
            Kind::JsonStructlog => self.structlog(out, post),
        }
    }

    fn ip(&mut self, out: &mut String) {
        let v = self.rng.next();
        out.push_str(&format!(
            "{}.{}.{}.{}",
            [203, 198, 192, 100][(v & 3) as usize],
            (v >> 8) & 255,
            (v >> 16) & 255,
            1 + (v >> 24) % 254
        ));
    }

    fn access(&mut self, out: &mut String, post: bool) {
        let sec = self.micros / 1_000_000;
        if post {
            let ua = self.rng.pick(LIBS);
            let status = if self.rng.below(50) == 0 { 429 } else { 201 };
            out.push_str(&format!(
                "10.0.1.{} - - [{}] \"POST /2010-04-01/Accounts/{ACCOUNT}/Messages.json HTTP/1.1\" {status} 812 \"-\" \"{ua}\"",
                11 + self.rng.below(20),
                self.clf.get(sec)
            ));
            return;
        }
        self.ip(out);
        let path = self.rng.pick(PATHS);
        let method = if self.rng.below(10) == 0 {
            "POST"
        } else {
            "GET"
        };
        let status =
            [200, 200, 200, 200, 200, 304, 302, 404, 200, 500][self.rng.below(10) as usize];
        let bytes = self.rng.below(60_000);
        let rf = self.rng.pick(REFS);
        let ua = self.rng.pick(UAS);
        let mut p = String::from(path);
        if path.ends_with('/') {
            p.push_str(&self.rng.below(1_000_000).to_string());
        }
        if self.rng.below(4) == 0 {
            p.push_str("?page=");
            p.push_str(&self.rng.below(50).to_string());
        }
        out.push_str(&format!(
            " - - [{}] \"{method} {p} HTTP/1.1\" {status} {bytes} \"{rf}\" \"{ua}\"",
            self.clf.get(sec)
        ));
    }

    fn egress(&mut self, out: &mut String, post: bool) {
        let sec = self.micros / 1_000_000;
        let rt = format!("{}.{:03}", self.rng.below(2), self.rng.below(1000));
        let mut rid = String::new();
        self.rng.hex(&mut rid, 16);
        let ua = self.rng.pick(LIBS);
        let who = format!("10.0.1.{}", 11 + self.rng.below(20));
        if post {
            let to = phone(&mut self.rng);
            let body = self.rng.pick(BODIES);
            let form = format!(
                "To={}&From=%2B14155552671&Body={}",
                form_encode(&to),
                form_encode(body)
            );
            out.push_str(&format!(
                "{who} - {ACCOUNT} [{}] \"POST /2010-04-01/Accounts/{ACCOUNT}/Messages.json HTTP/1.1\" 201 812 {rt} \"{ua}\" \"{rid}\" \"54.172.60.1:443\" \"201\" \"{form}\"",
                self.clf.get(sec)
            ));
            return;
        }
        let target = match self.rng.below(3) {
            0 => format!(
                "/2010-04-01/Accounts/{ACCOUNT}/Messages/{}.json",
                sid(&mut self.rng)
            ),
            1 => format!("/2010-04-01/Accounts/{ACCOUNT}/Calls.json?PageSize=50"),
            _ => format!("/v1/Services/VA{}/Verifications", {
                let mut s = String::new();
                self.rng.hex(&mut s, 32);
                s
            }),
        };
        out.push_str(&format!(
            "{who} - {ACCOUNT} [{}] \"GET {target} HTTP/1.1\" 200 640 {rt} \"{ua}\" \"{rid}\" \"54.172.60.1:443\" \"200\" \"-\"",
            self.clf.get(sec)
        ));
    }

    fn zap(&mut self, out: &mut String, post: bool) {
        let ts = self.micros as f64 / 1e6;
        let mut job = String::from("job-");
        self.rng.hex(&mut job, 12);
        let mut rid = String::new();
        self.rng.hex(&mut rid, 16);
        if post {
            let (to, sid_, ts) = if self.planned_every > 0 {
                let p = &self.planned[self.planned_next];
                self.planned_next += 1;
                (p.to.clone(), p.sid.clone(), p.micros as f64 / 1e6)
            } else {
                (phone(&mut self.rng), sid(&mut self.rng), ts)
            };
            let body = self.rng.pick(BODIES);
            out.push_str(&format!(
                "{{\"level\":\"info\",\"ts\":{ts:.6},\"logger\":\"worker.sms\",\"caller\":\"sms/twilio.go:52\",\"msg\":\"twilio request\",\"method\":\"POST\",\"url\":\"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json\",\"to\":\"{to}\",\"body\":\"{body}\",\"job_id\":\"{job}\",\"request_id\":\"{rid}\"}}"
            ));
            // The response comes next (pending lines are popped first).
            self.pending.push(format!(
                "{{\"level\":\"info\",\"ts\":{:.6},\"logger\":\"worker.sms\",\"caller\":\"sms/twilio.go:61\",\"msg\":\"twilio response\",\"job_id\":\"{job}\",\"request_id\":\"{rid}\",\"status\":201,\"sid\":\"{sid_}\",\"elapsed\":0.38}}",
                ts + 0.38
            ));
            return;
        }
        match self.rng.below(4) {
            0 => out.push_str(&format!(
                "{{\"level\":\"info\",\"ts\":{ts:.6},\"logger\":\"worker.jobs\",\"caller\":\"jobs/runner.go:40\",\"msg\":\"job started\",\"job_id\":\"{job}\",\"queue\":\"reminders\",\"attempt\":1,\"pid\":{}}}",
                4000 + self.rng.below(200)
            )),
            1 => out.push_str(&format!(
                "{{\"level\":\"info\",\"ts\":{ts:.6},\"logger\":\"worker.jobs\",\"caller\":\"jobs/runner.go:71\",\"msg\":\"job finished\",\"job_id\":\"{job}\",\"pid\":{}}}",
                4000 + self.rng.below(200)
            )),
            2 => out.push_str(&format!(
                "{{\"level\":\"debug\",\"ts\":{ts:.6},\"logger\":\"worker.db\",\"caller\":\"db/pool.go:118\",\"msg\":\"query\",\"table\":\"appointments\",\"rows\":{},\"elapsed\":0.00{}}}",
                self.rng.below(100),
                self.rng.below(1000)
            )),
            _ => out.push_str(&format!(
                "{{\"level\":\"info\",\"ts\":{ts:.6},\"logger\":\"worker.http\",\"caller\":\"http/server.go:88\",\"msg\":\"request finished\",\"method\":\"GET\",\"path\":\"{}\",\"status\":200,\"request_id\":\"{rid}\",\"elapsed\":0.0{}}}",
                self.rng.pick(PATHS),
                self.rng.below(1000)
            )),
        }
    }

    fn structlog(&mut self, out: &mut String, post: bool) {
        let stamp = iso(self.micros);
        let mut rid = String::new();
        self.rng.hex(&mut rid, 32);
        if post {
            let to = phone(&mut self.rng);
            let body = self.rng.pick(BODIES);
            out.push_str(&format!(
                "{{\"timestamp\": \"{stamp}\", \"level\": \"info\", \"event\": \"twilio.request\", \"logger\": \"clinic.auth\", \"func_name\": \"send_code\", \"lineno\": 77, \"request_id\": \"{rid}\", \"method\": \"POST\", \"url\": \"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json\", \"to\": \"{to}\", \"body\": \"{body}\"}}"
            ));
            self.pending.push(format!(
                "{{\"timestamp\": \"{}\", \"level\": \"info\", \"event\": \"twilio.response\", \"logger\": \"clinic.auth\", \"func_name\": \"send_code\", \"lineno\": 83, \"request_id\": \"{rid}\", \"status_code\": 201, \"sid\": \"{}\", \"elapsed_ms\": 410.0}}",
                iso(self.micros + 410_000),
                sid(&mut self.rng)
            ));
            return;
        }
        let path = self.rng.pick(PATHS);
        if self.rng.below(2) == 0 {
            out.push_str(&format!(
                "{{\"timestamp\": \"{stamp}\", \"level\": \"info\", \"event\": \"request.started\", \"logger\": \"clinic.web\", \"request_id\": \"{rid}\", \"method\": \"GET\", \"path\": \"{path}\", \"handler\": \"pages.view\"}}"
            ));
        } else {
            out.push_str(&format!(
                "{{\"timestamp\": \"{stamp}\", \"level\": \"info\", \"event\": \"request.finished\", \"logger\": \"clinic.web\", \"request_id\": \"{rid}\", \"path\": \"{path}\", \"status_code\": 200, \"duration_ms\": {}.{}}}",
                self.rng.below(900),
                self.rng.below(10)
            ));
        }
    }
}

/// A writer that compresses as asked.
enum Sink {
    Plain(BufWriter<File>),
    Gz(flate2::write::GzEncoder<BufWriter<File>>),
    /// One gzip member per `member` bytes of input.
    GzMembers {
        file: BufWriter<File>,
        buf: Vec<u8>,
        member: usize,
    },
    Zst(zstd::stream::write::Encoder<'static, BufWriter<File>>),
}

impl Sink {
    fn new(path: &Path, compress: &str) -> io::Result<Sink> {
        let f = BufWriter::with_capacity(1 << 20, File::create(path)?);
        Ok(match compress {
            "none" => Sink::Plain(f),
            "gz" => Sink::Gz(flate2::write::GzEncoder::new(
                f,
                flate2::Compression::new(6),
            )),
            "gz-members" => Sink::GzMembers {
                file: f,
                buf: Vec::with_capacity(64 * 1024),
                member: 64 * 1024,
            },
            "zst" => Sink::Zst(zstd::stream::write::Encoder::new(f, 3)?),
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("unknown --compress {other}"),
                ))
            }
        })
    }

    fn write(&mut self, b: &[u8]) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.write_all(b),
            Sink::Gz(w) => w.write_all(b),
            Sink::Zst(w) => w.write_all(b),
            Sink::GzMembers { file, buf, member } => {
                buf.extend_from_slice(b);
                if buf.len() >= *member {
                    flush_member(file, buf)?;
                }
                Ok(())
            }
        }
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Plain(mut w) => w.flush(),
            Sink::Gz(w) => w.finish()?.flush(),
            Sink::Zst(w) => w.finish()?.flush(),
            Sink::GzMembers {
                mut file, mut buf, ..
            } => {
                if !buf.is_empty() {
                    flush_member(&mut file, &mut buf)?;
                }
                file.flush()
            }
        }
    }
}

fn flush_member(file: &mut BufWriter<File>, buf: &mut Vec<u8>) -> io::Result<()> {
    let mut e = flate2::write::GzEncoder::new(&mut *file, flate2::Compression::new(1));
    e.write_all(buf)?;
    e.finish()?;
    buf.clear();
    Ok(())
}

/// Write `line` as containerd writes a container's stdout line: one `F`
/// line, or (`split`) a `P` and an `F` piece with a stderr line between.
fn cri(block: &mut Vec<u8>, micros: i64, line: &str, n: u64) {
    let t = chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default();
    let stamp = |k: i64| {
        (t + chrono::Duration::nanoseconds(k))
            .format("%Y-%m-%dT%H:%M:%S%.9fZ")
            .to_string()
    };
    let stderr = |block: &mut Vec<u8>, k: i64| {
        block.extend_from_slice(
            format!(
                "{} stderr F 2026/11/20 14:12:21 http: TLS handshake error from 10.8.0.17:{}: EOF\n",
                stamp(k),
                40000 + n % 20000
            )
            .as_bytes(),
        );
    };
    if n % 53 == 0 {
        stderr(block, 0);
    }
    if n % 97 == 0 && line.len() > 2 {
        let cut = line
            .find("Messages.json")
            .map(|i| i + "Messages.json".len())
            .unwrap_or(line.len() / 2);
        let cut = (0..=cut)
            .rev()
            .find(|&i| line.is_char_boundary(i))
            .unwrap_or(0);
        let (a, b) = line.split_at(cut);
        block.extend_from_slice(format!("{} stdout P {a}\n", stamp(1)).as_bytes());
        stderr(block, 2);
        block.extend_from_slice(format!("{} stdout F {b}\n", stamp(3)).as_bytes());
    } else {
        block.extend_from_slice(format!("{} stdout F {line}\n", stamp(1)).as_bytes());
    }
}

#[allow(clippy::too_many_arguments)]
fn write_log(
    kind: Kind,
    path: &Path,
    size: u64,
    compress: &str,
    seed: u64,
    post_every: u64,
    planned: Vec<Planned>,
    wrap: Option<&str>,
) -> io::Result<(u64, u64)> {
    let mut sink = Sink::new(path, compress)?;
    let mut g = Gen::new(kind, seed, size, post_every, planned);
    let mut line = String::with_capacity(1024);
    let mut block = Vec::with_capacity(1 << 16);
    let (mut written, mut posts) = (0u64, 0u64);
    while written < size || !g.pending.is_empty() {
        g.line(&mut line);
        if line.contains("Messages.json") {
            posts += 1;
        }
        let before = block.len();
        if wrap == Some("cri") {
            cri(&mut block, g.micros, &line, g.line_no);
        } else {
            block.extend_from_slice(line.as_bytes());
            block.push(b'\n');
        }
        written += (block.len() - before) as u64;
        if block.len() >= 1 << 16 {
            sink.write(&block)?;
            block.clear();
        }
    }
    sink.write(&block)?;
    sink.finish()?;
    Ok((written, posts))
}

fn write_twilio_csv(path: &Path, records: u64, planned: &[Planned], seed: u64) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    w.write_all(b"From,To,Body,Status,SentDate,ApiVersion,NumSegments,ErrorCode,AccountSid,Sid,Direction,Price,PriceUnit\n")?;
    let mut rng = Rng(seed.wrapping_mul(31) | 1);
    let extra = records.saturating_sub(planned.len() as u64);
    let mut k = 0u64;
    let write = |w: &mut BufWriter<File>, micros: i64, to: &str, sid: &str, rng: &mut Rng| {
        let dt = chrono::DateTime::from_timestamp_micros(micros + 1_500_000).unwrap_or_default();
        let status = if rng.below(40) == 0 {
            "undelivered"
        } else {
            "delivered"
        };
        let code = if status == "undelivered" { "30003" } else { "" };
        writeln!(
            w,
            "+14155552671,{to},{},{status},\"{}\",2010-04-01,1,{code},{ACCOUNT},{sid},outbound-api,-0.00790,USD",
            rng.pick(BODIES),
            dt.format("%a, %d %b %Y %H:%M:%S +0000")
        )
    };
    // Interleave the planned records with the unrelated ones, in time order.
    let span = 7 * 86_400 * 1_000_000i64;
    let mut pi = 0usize;
    while k < extra || pi < planned.len() {
        let t_extra = if k < extra {
            T0 * 1_000_000 + (k as i64 * span) / extra.max(1) as i64
        } else {
            i64::MAX
        };
        if pi < planned.len() && planned[pi].micros <= t_extra {
            let p = &planned[pi];
            write(&mut w, p.micros, &p.to, &p.sid, &mut rng)?;
            pi += 1;
        } else {
            let to = phone_in(&mut rng, (records * 10).max(10_000));
            let s = sid(&mut rng);
            write(&mut w, t_extra, &to, &s, &mut rng)?;
            k += 1;
        }
    }
    w.flush()
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1048576.0,
        "g" | "gb" => 1e9,
        "gib" => 1073741824.0,
        _ => return None,
    };
    Some((n * mult) as u64)
}

fn main() {
    if let Err(e) = run() {
        eprintln!("gen_corpus: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut kind = None;
    let mut out = None;
    let mut size = 1u64 << 30;
    let mut post_every = 2000u64;
    let mut compress = "none".to_string();
    let mut seed = 1u64;
    let mut files = 8u64;
    let mut records = 1_000_000u64;
    let mut posts = 0u64;
    let mut wrap: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let val = || {
            args.get(i + 1)
                .cloned()
                .ok_or_else(|| format!("{a} needs a value"))
        };
        let num = |v: String| v.parse::<u64>().map_err(|e| format!("{a}: {e}"));
        match a {
            "--out" => out = Some(PathBuf::from(val()?)),
            "--size" => size = parse_size(&val()?).ok_or("--size: e.g. 1GiB, 256MiB, 200MB")?,
            "--post-every" => post_every = num(val()?)?,
            "--compress" => compress = val()?,
            "--seed" => seed = num(val()?)?,
            "--files" => files = num(val()?)?,
            "--records" => records = num(val()?)?,
            "--posts" => posts = num(val()?)?,
            "--wrap" => match val()?.as_str() {
                "cri" => wrap = Some("cri".into()),
                other => return Err(format!("--wrap {other}: only cri")),
            },
            k if !k.starts_with("--") && kind.is_none() => {
                kind = Some(k.to_string());
                i += 1;
                continue;
            }
            other => return Err(format!("unknown argument {other}")),
        }
        i += 2;
    }
    let kind = kind.ok_or("which KIND? (see the source's header)")?;
    let out = out.ok_or("--out PATH is required")?;
    let log_kind = match kind.as_str() {
        "nginx-combined" => Some(Kind::NginxCombined),
        "nginx-egress" => Some(Kind::NginxEgress),
        "apache-combined" => Some(Kind::ApacheCombined),
        "json-zap" => Some(Kind::JsonZap),
        "json-structlog" => Some(Kind::JsonStructlog),
        _ => None,
    };
    let e = |e: io::Error| e.to_string();
    let span = 7 * 86_400;
    if let Some(k) = log_kind {
        let planned = if posts > 0 && k == Kind::JsonZap {
            planned_posts(seed, posts, span)
        } else {
            Vec::new()
        };
        let (bytes, n) = write_log(
            k,
            &out,
            size,
            &compress,
            seed,
            post_every,
            planned,
            wrap.as_deref(),
        )
        .map_err(e)?;
        eprintln!(
            "gen_corpus: {} {kind}: {bytes} bytes, {n} POST lines",
            out.display()
        );
        return Ok(());
    }
    match kind.as_str() {
        "twilio-csv" => {
            let planned = planned_posts(seed, posts, span);
            write_twilio_csv(&out, records.max(posts), &planned, seed).map_err(e)?;
            eprintln!(
                "gen_corpus: {} twilio-csv: {} records",
                out.display(),
                records.max(posts)
            );
        }
        "rotated" => {
            fs::create_dir_all(&out).map_err(e)?;
            let per = size / files.max(1);
            let mut total = 0;
            for f in 0..files {
                let (name, comp) = match f {
                    0 => ("access.log".to_string(), "none"),
                    1 => ("access.log.1".to_string(), "none"),
                    _ => (format!("access.log.{f}"), "none"),
                };
                let (_, n) = write_log(
                    Kind::NginxCombined,
                    &out.join(name),
                    per,
                    comp,
                    seed + f,
                    post_every,
                    Vec::new(),
                    None,
                )
                .map_err(e)?;
                total += n;
            }
            eprintln!(
                "gen_corpus: {} rotated: {files} plain files, {total} POST lines",
                out.display()
            );
        }
        other => return Err(format!("unknown KIND {other}")),
    }
    Ok(())
}
