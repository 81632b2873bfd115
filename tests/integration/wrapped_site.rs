//! Issue 10's mixed site: the sample site `samples/logs` as a fleet that
//! moved to Kubernetes would have archived it, built in a temporary
//! directory exactly the way the real software writes these files:
//!
//! * the app hosts' JSON logs as Kubernetes CRI container logs written by
//!   containerd (`<node>/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log`,
//!   `<RFC3339Nano, trailing zeros trimmed>Z stdout|stderr F <line>`, read a
//!   few ms after the line's own time);
//! * web-1's older app lines as a CloudWatch Logs export
//!   (`exportedlogs/<task id>/<log stream>/000000.gz`, `<ISO 8601 ms>Z <line>`),
//!   worker-1's as CloudWatch Logs subscription records that Firehose
//!   delivered to S3 (one JSON record per line, several events per record,
//!   gzip); both from the VM days, the CloudWatch agent naming each stream
//!   after its host;
//! * web-1's front nginx as ingress-nginx (access log on stdout, so inside
//!   CRI, byte-identical; banner and klog lines first), rotated by the
//!   kubelet (`0.log.<time>.gz`, `0.log.<time>`, `0.log`);
//! * the egress proxy's nginx log and the Apache log as they are.
//!
//! `investigate` must give the same incidents (recipient, verdict, cause,
//! SIDs, requests with their times, statuses, observers and evidence) and
//! `extract` the same POST attempts as on the plain logs; evidence points
//! at the wrapped files' lines, mapped back to the samples' here.
//!
//! Variants isolate what the mixed site needs: every app log in CRI (one
//! `0.log` per container, or kubelet-rotated), a POST line cut in two by
//! CRI-O's conmon (`P` then `F`), and `extract` on the CloudWatch export and
//! on the Firehose objects alone.
//!
//! Hosts: `input::host_from_path` takes the nearest directory above a file
//! that is not a generic name; for `…/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log`
//! that is the container name (`clinic-web`, `worker`, `controller`), so
//! the pod and the node (`web-1/` above `var/log`) are lost: two replicas
//! of one Deployment would share a host and a learned clock offset. Here
//! every app has one pod with its own container name, so hosts stay
//! distinct, and the tests check that no wrapped host holds two sample
//! hosts' POSTs.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

use crate::util::*;

/// The sample logs, as `samples/logs/<path>`: each is placed in the wrapped
/// site by [`build`]; a new sample file must be placed there too.
const SAMPLE_LOGS: [&str; 11] = [
    "egress-1/nginx/twilio-egress.log",
    "egress-1/nginx/twilio-egress.log.1.gz",
    "web-1/app/clinic.log",
    "web-1/app/clinic.log.1.gz",
    "web-1/nginx/access.log",
    "web-1/nginx/access.log.1",
    "web-1/nginx/access.log.2.gz",
    "web-2/apache2/access.log",
    "web-2/app/clinic-api.json.log",
    "worker-1/worker.log",
    "worker-1/worker.log-20261120.zst",
];

/// containerd's `max_container_log_line_size`: longer lines are cut into
/// pieces of this many bytes, each but the last tagged `P`.
const CONTAINERD_MAX_LINE: usize = 16 * 1024;
/// conmon's read buffer (`STDIO_BUF_SIZE`): a longer line would be cut at
/// read boundaries, which this test does not model.
const CONMON_BUF: usize = 8192;

/// Set to keep the wrapped site's directory after the test (for a look).
const KEEP_VAR: &str = "SIDTRACE_KEEP_WRAPPED_SITE";

const NS: i128 = 1_000_000_000;
const MS: i128 = 1_000_000;

// ---------------------------------------------------------------------------
// Small helpers

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

    /// A value in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    /// `n` lowercase hex digits.
    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from_digit((self.next() % 16) as u32, 16).expect("digit"))
            .collect()
    }

    /// `n` characters of the alphabet Kubernetes uses for generated names.
    fn k8s(&mut self, n: usize) -> String {
        const A: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..n)
            .map(|_| A[(self.next() % A.len() as u64) as usize] as char)
            .collect()
    }

    fn uuid(&mut self) -> String {
        format!(
            "{}-{}-4{}-{}{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(3),
            ["8", "9", "a", "b"][(self.next() % 4) as usize],
            self.hex(3),
            self.hex(12)
        )
    }
}

/// A sample log's text, decompressed.
fn sample_text(rel: &str) -> String {
    let bytes = fs::read(root().join("samples/logs").join(rel)).expect("sample readable");
    let raw = if rel.ends_with(".gz") {
        let mut s = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut s)
            .expect("gunzip");
        s
    } else if rel.ends_with(".zst") {
        zstd::decode_all(&bytes[..]).expect("unzstd")
    } else {
        bytes
    };
    String::from_utf8(raw).expect("samples are UTF-8")
}

/// The lines of a sample log, each without its newline.
fn sample_lines(rel: &str) -> Vec<String> {
    sample_text(rel).lines().map(str::to_string).collect()
}

fn nanos_of<Tz: chrono::TimeZone>(t: &DateTime<Tz>) -> i128 {
    i128::from(t.timestamp()) * NS + i128::from(t.timestamp_subsec_nanos())
}

/// The time a sample line gives itself (UTC nanoseconds): structlog's
/// `timestamp`, logstash's `@timestamp`, zap's `ts`, or the access log's
/// `[%d/%b/%Y:%H:%M:%S %z]`.
fn own_time(line: &str) -> i128 {
    if line.starts_with('{') {
        let v: Json = serde_json::from_str(line).expect("JSON line");
        if let Some(t) = v["timestamp"].as_str().or(v["@timestamp"].as_str()) {
            return nanos_of(&DateTime::parse_from_rfc3339(t).expect("RFC 3339"));
        }
        let ts = v["ts"].as_f64().expect("a time field");
        return (ts * 1e6).round() as i128 * 1_000;
    }
    let open = line.find('[').expect("[time]");
    let close = open + line[open..].find(']').expect("[time]");
    let t = DateTime::parse_from_str(&line[open + 1..close], "%d/%b/%Y:%H:%M:%S %z")
        .expect("access log time");
    nanos_of(&t)
}

fn utc(nanos: i128) -> DateTime<Utc> {
    let secs = nanos.div_euclid(NS) as i64;
    let sub = nanos.rem_euclid(NS) as u32;
    DateTime::from_timestamp(secs, sub).expect("time in range")
}

/// Go's `time.RFC3339Nano` of a UTC time: trailing zeros of the fraction
/// trimmed, no fraction at all when it is zero.
fn rfc3339_nano(nanos: i128) -> String {
    let t = utc(nanos);
    let frac = format!("{:09}", t.timestamp_subsec_nanos());
    let frac = frac.trim_end_matches('0');
    let dot = if frac.is_empty() { "" } else { "." };
    format!("{}{dot}{frac}Z", t.format("%Y-%m-%dT%H:%M:%S"))
}

/// conmon's `set_k8s_timestamp`: always nine digits and `+hh:mm`.
fn conmon_time(nanos: i128) -> String {
    utc(nanos).format("%Y-%m-%dT%H:%M:%S%.9f+00:00").to_string()
}

/// A CloudWatch Logs export's event time: milliseconds, `Z`.
fn cloudwatch_time(ms: i128) -> String {
    utc(ms * MS).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A CloudWatch Logs event id: 56 decimal digits, the event's timestamp in
/// the bits above 144 (`ms << 144 | low`).
fn event_id(ms: i128, low: [u64; 3]) -> String {
    // little-endian decimal digits
    let mut digits: Vec<u32> = ms
        .to_string()
        .bytes()
        .rev()
        .map(|b| u32::from(b - b'0'))
        .collect();
    let mul = |digits: &mut Vec<u32>, by: u32, add: u32| {
        let mut carry = add;
        for d in digits.iter_mut() {
            let v = *d * by + carry;
            *d = v % 10;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push(carry % 10);
            carry /= 10;
        }
    };
    // (ms << 144) + low, low = 16 bits of low[0], then 64 + 64 bits
    let parts: [(u32, u64); 3] = [(16, low[0] & 0xffff), (64, low[1]), (64, low[2])];
    for (bits, value) in parts {
        for i in (0..bits).rev() {
            mul(&mut digits, 2, ((value >> i) & 1) as u32);
        }
    }
    digits
        .iter()
        .rev()
        .map(|d| char::from_digit(*d, 10).expect("digit"))
        .collect()
}

// ---------------------------------------------------------------------------
// The wrapped site

/// A temporary directory holding the wrapped site, and where every sample
/// line went.
struct Site {
    dir: tempfile::TempDir,
    /// `samples/logs/<file>` and line → the wrapped files (relative to
    /// `dir`) and lines holding it (two for a line cut into pieces).
    map: BTreeMap<(String, u64), BTreeSet<(String, u64)>>,
    rng: Lcg,
}

impl Site {
    fn new() -> Site {
        let mut site = Site {
            dir: tempfile::tempdir().expect("temp dir"),
            map: BTreeMap::new(),
            rng: Lcg(0x5eed_0010),
        };
        if std::env::var_os(KEEP_VAR).is_some() {
            site.dir.disable_cleanup(true);
            eprintln!("{KEEP_VAR}: the wrapped site is kept in {}", site.path());
        }
        site
    }

    fn path(&self) -> String {
        self.dir.path().to_string_lossy().into_owned()
    }

    fn write(&self, rel: &str, bytes: &[u8]) {
        let p = self.dir.path().join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, bytes).expect("write");
    }

    fn note(&mut self, sample: &str, line: u64, file: &str, at: &[u64]) {
        let e = self
            .map
            .entry((format!("samples/logs/{sample}"), line))
            .or_default();
        e.extend(at.iter().map(|&l| (file.to_string(), l)));
    }

    /// A file kept as it is.
    fn copy(&mut self, sample: &str, to: &str) {
        let bytes = fs::read(root().join("samples/logs").join(sample)).expect("sample readable");
        self.write(to, &bytes);
        for n in 1..=sample_lines(sample).len() as u64 {
            self.note(sample, n, to, &[n]);
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Runtime {
    Containerd,
    /// CRI-O's conmon.
    Conmon,
}

/// One CRI log file as the runtime writes it.
struct Cri {
    runtime: Runtime,
    text: Vec<u8>,
    lines: u64,
    /// The last time written: the runtime's clock does not go back.
    last: i128,
}

impl Cri {
    fn new(runtime: Runtime) -> Self {
        Cri {
            runtime,
            text: Vec::new(),
            lines: 0,
            last: i128::MIN,
        }
    }

    /// The container wrote `content` and a newline to `stream`; the runtime
    /// read it at `at` (nanoseconds). `cut`: a pipe read ended that many
    /// bytes into the line (conmon writes the piece read as `P`, the rest
    /// later as `F`). The CRI lines holding it.
    fn line(
        &mut self,
        rng: &mut Lcg,
        stream: &str,
        content: &str,
        at: i128,
        cut: Option<usize>,
    ) -> Vec<u64> {
        let bytes = content.as_bytes();
        let mut pieces: Vec<&[u8]> = match (self.runtime, cut) {
            (Runtime::Containerd, None) => bytes.chunks(CONTAINERD_MAX_LINE).collect(),
            (Runtime::Containerd, Some(_)) => {
                panic!("containerd reads whole lines: a cut write gives no P piece")
            }
            (Runtime::Conmon, _) => {
                assert!(
                    bytes.len() < CONMON_BUF,
                    "long lines under conmon not modelled"
                );
                match cut {
                    Some(k) => vec![&bytes[..k], &bytes[k..]],
                    None => vec![bytes],
                }
            }
        };
        if pieces.is_empty() {
            pieces.push(b"");
        }
        let mut at = at;
        let mut out = Vec::new();
        let n = pieces.len();
        for (i, piece) in pieces.into_iter().enumerate() {
            let t = at.max(self.last + i128::from(rng.range(900, 40_000)));
            self.last = t;
            let stamp = match self.runtime {
                Runtime::Containerd => rfc3339_nano(t),
                Runtime::Conmon => conmon_time(t),
            };
            let tag = if i + 1 < n { "P" } else { "F" };
            self.text
                .extend_from_slice(format!("{stamp} {stream} {tag} ").as_bytes());
            self.text.extend_from_slice(piece);
            self.text.push(b'\n');
            self.lines += 1;
            out.push(self.lines);
            // the next piece is read later: right away for containerd's
            // split, after the app's next write for conmon's
            at = t + i128::from(rng.range(2, 30)) * MS;
        }
        out
    }
}

/// When the runtime read a line: its own time plus a few milliseconds.
fn read_time(rng: &mut Lcg, own: i128) -> i128 {
    own + i128::from(rng.range(1, 9)) * MS + i128::from(rng.range(0, 999_999))
}

/// A container's log as the kubelet leaves it: `segments` (oldest first)
/// each hold the sample files the container wrote between two rotations;
/// the last is `0.log`, the one before `0.log.<rotation time>`, older ones
/// `0.log.<rotation time>.gz`. `start`: lines written before the samples'
/// (stream, text, read time). `cut`: a sample line cut by a pipe read.
#[allow(clippy::too_many_arguments)]
fn pod_log(
    site: &mut Site,
    dir: &str,
    stream: &str,
    runtime: Runtime,
    start: Vec<(&str, String, i128)>,
    segments: &[&[&str]],
    cut: Option<(&str, u64, usize)>,
    whole_seconds: bool,
) {
    let mut cri = Cri::new(runtime);
    for (s, l, at) in start {
        cri.line(&mut site.rng, s, &l, at, None);
    }
    for (k, samples) in segments.iter().enumerate() {
        let mut placed: Vec<(&str, u64, Vec<u64>)> = Vec::new();
        for sample in *samples {
            for (i, l) in sample_lines(sample).iter().enumerate() {
                let n = i as u64 + 1;
                let mut at = own_time(l);
                if whole_seconds {
                    // nginx's time has whole seconds: the line was written
                    // within that second
                    at += i128::from(site.rng.range(0, 999)) * MS;
                }
                let at = read_time(&mut site.rng, at);
                let c = cut.filter(|c| c.0 == *sample && c.1 == n).map(|c| c.2);
                placed.push((sample, n, cri.line(&mut site.rng, stream, l, at, c)));
            }
        }
        let name = if k + 1 == segments.len() {
            format!("{dir}/0.log")
        } else {
            let rotated = utc(cri.last + i128::from(site.rng.range(5, 50)) * NS);
            let name = format!("{dir}/0.log.{}", rotated.format("%Y%m%d-%H%M%S"));
            if k + 2 < segments.len() {
                format!("{name}.gz")
            } else {
                name
            }
        };
        for (sample, n, at) in placed {
            site.note(sample, n, &name, &at);
        }
        let text = std::mem::take(&mut cri.text);
        cri.lines = 0;
        let bytes = if name.ends_with(".gz") {
            gzip(&text)
        } else {
            text
        };
        site.write(&name, &bytes);
    }
}

/// The first lines ingress-nginx's controller writes when it starts: the
/// banner on stdout, klog lines on stderr.
fn ingress_start(start: i128) -> Vec<(&'static str, String, i128)> {
    let klog = |t: i128, level: char, msg: &str| {
        let u = utc(t);
        format!("{level}{} {:>7} {msg}", u.format("%m%d %H:%M:%S%.6f"), 7)
    };
    let mut v: Vec<(&'static str, String, i128)> = [
        "-------------------------------------------------------------------------------",
        "NGINX Ingress controller",
        "  Release:       v1.11.3",
        "  Build:         0106de65cfccb74405a6dfa7d9daffc6f0a6ef1a",
        "  Repository:    https://github.com/kubernetes/ingress-nginx",
        "  nginx version: nginx/1.25.5",
        "",
        "-------------------------------------------------------------------------------",
        "",
    ]
    .iter()
    .map(|l| ("stdout", l.to_string(), start))
    .collect();
    for (ms, level, msg) in [
        (2, 'W', "client_config.go:659] Neither --kubeconfig nor --master was specified.  Using the inClusterConfig.  This might not work."),
        (3, 'I', "main.go:205] \"Creating API client\" host=\"https://10.96.0.1:443\""),
        (1_410, 'I', "controller.go:213] \"Backend successfully reloaded\""),
    ] {
        let t = start + ms * MS;
        v.push(("stderr", klog(t, level, msg), t + 161_000));
    }
    v
}

/// Where the app hosts' older lines (web-1's `clinic.log.1.gz`, worker-1's
/// `worker.log-20261120.zst`) are.
#[derive(Clone, Copy, PartialEq)]
enum Older {
    /// In CloudWatch Logs, from before the move to Kubernetes: web-1's
    /// exported to S3, worker-1's delivered by Firehose (issue 10's site).
    CloudWatch,
    /// In the same `0.log` as the newer lines: the container ran all day
    /// and its log stayed under the kubelet's 10 MiB rotation size.
    SameFile,
    /// In the file the kubelet rotated `0.log` to (`0.log.<time>`).
    KubeletRotated,
}

/// worker-1 runs CRI-O: its log is written by conmon, and one POST request
/// line (the first of the repeated_call incident) is cut by a pipe read
/// after `…/Messa`.
const CUT_SAMPLE: &str = "worker-1/worker.log";
const CUT_LINE: u64 = 12;

/// Build the wrapped site.
fn build(older: Older, conmon_cut: bool) -> Site {
    let mut site = Site::new();

    // Plain files, as they are.
    for s in [
        "egress-1/nginx/twilio-egress.log",
        "egress-1/nginx/twilio-egress.log.1.gz",
        "web-2/apache2/access.log",
    ] {
        site.copy(s, s);
    }

    // web-1 (a Kubernetes node, its /var/log archived under web-1/):
    // ingress-nginx's controller, its access log on stdout; the kubelet
    // rotated 0.log twice.
    let uid = site.rng.uuid();
    let pod = format!(
        "ingress-nginx-controller-{}-{}",
        site.rng.hex(10),
        site.rng.k8s(5)
    );
    let first = own_time(&sample_lines("web-1/nginx/access.log.2.gz")[0]);
    pod_log(
        &mut site,
        &format!("web-1/var/log/pods/ingress-nginx_{pod}_{uid}/controller"),
        "stdout",
        Runtime::Containerd,
        ingress_start(first - 9 * NS + 137_518_404),
        &[
            &["web-1/nginx/access.log.2.gz"],
            &["web-1/nginx/access.log.1"],
            &["web-1/nginx/access.log"],
        ],
        None,
        true,
    );

    // The app hosts: web-1's app (structlog prints to stdout), web-2's
    // Java API (logstash JSON on stdout), worker-1 (zap writes to stderr).
    let older_web = "web-1/app/clinic.log.1.gz";
    let older_worker = "worker-1/worker.log-20261120.zst";
    // (node, namespace, deployment, container, stream, samples)
    type App<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a [&'a str]);
    let apps: [App; 3] = [
        (
            "web-1",
            "clinic",
            "clinic-web",
            "clinic-web",
            "stdout",
            &[older_web, "web-1/app/clinic.log"],
        ),
        (
            "web-2",
            "clinic",
            "clinic-api",
            "clinic-api",
            "stdout",
            &["web-2/app/clinic-api.json.log"],
        ),
        (
            "worker-1",
            "jobs",
            "clinic-worker",
            "worker",
            "stderr",
            &[older_worker, "worker-1/worker.log"],
        ),
    ];
    for (node, ns, app, container, stream, samples) in apps {
        let uid = site.rng.uuid();
        let pod = format!("{app}-{}-{}", site.rng.hex(9), site.rng.k8s(5));
        let dir = format!("{node}/var/log/pods/{ns}_{pod}_{uid}/{container}");
        let cut_here = conmon_cut && samples.contains(&CUT_SAMPLE);
        let (runtime, cut) = if cut_here {
            let line = &sample_lines(CUT_SAMPLE)[CUT_LINE as usize - 1];
            let at = line.find("Messages.json").expect("a POST line") + "Messa".len();
            (Runtime::Conmon, Some((CUT_SAMPLE, CUT_LINE, at)))
        } else {
            (Runtime::Containerd, None)
        };
        let in_cri: Vec<&str> = samples
            .iter()
            .copied()
            .filter(|s| older != Older::CloudWatch || (*s != older_web && *s != older_worker))
            .collect();
        let segments: Vec<&[&str]> = match older {
            Older::KubeletRotated => in_cri.chunks(1).collect(),
            _ => vec![&in_cri[..]],
        };
        pod_log(
            &mut site,
            &dir,
            stream,
            runtime,
            Vec::new(),
            &segments,
            cut,
            false,
        );
    }

    if older == Older::CloudWatch {
        // web-1's older lines, from before the move to Kubernetes, when
        // web-1 was a VM shipping its log with the CloudWatch agent
        // (`log_stream_name = "{hostname}"`), exported to S3.
        cloudwatch_export(&mut site, older_web, "web-1");
        // CreateExportTask's permission check object
        site.write(
            "s3/acme-clinic-logs/exportedlogs/aws-logs-write-test",
            b"Permission Check Successful",
        );
        // worker-1's older lines, from its VM days (CloudWatch agent, stream
        // named by host), as CloudWatch Logs subscription records that
        // Firehose delivered to S3 (decompressed, a newline after each
        // record, gzip'ed): the agent flushes every 5 s, one record per
        // flush; Firehose buffers 300 s per S3 object.
        firehose(&mut site, older_worker);
    }

    // Every sample file is placed.
    let placed: BTreeSet<String> = site.map.keys().map(|(f, _)| f.clone()).collect();
    let want: BTreeSet<String> = SAMPLE_LOGS
        .iter()
        .map(|s| format!("samples/logs/{s}"))
        .collect();
    assert_eq!(
        placed, want,
        "every sample log is placed in the wrapped site"
    );
    site
}

/// A sample log as a CloudWatch Logs export of log stream `stream`
/// (CreateExportTask: `exportedlogs/<task id>/<stream>/000000.gz`).
fn cloudwatch_export(site: &mut Site, sample: &str, stream: &str) {
    let file = format!(
        "s3/acme-clinic-logs/exportedlogs/{}/{stream}/000000.gz",
        site.rng.uuid()
    );
    let mut text = String::new();
    for (i, l) in sample_lines(sample).iter().enumerate() {
        let at = read_time(&mut site.rng, own_time(l));
        text.push_str(&format!("{} {l}\n", cloudwatch_time(at.div_euclid(MS))));
        site.note(sample, i as u64 + 1, &file, &[i as u64 + 1]);
    }
    site.write(&file, &gzip(text.as_bytes()));
}

/// worker-1's older lines as Firehose objects of CloudWatch Logs
/// subscription records.
fn firehose(site: &mut Site, sample: &str) {
    let stream = "worker-1";
    let lines = sample_lines(sample);
    // events: (timestamp ms, message, sample line)
    let events: Vec<(i128, &str, u64)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let at = read_time(&mut site.rng, own_time(l));
            (at.div_euclid(MS), l.as_str(), i as u64 + 1)
        })
        .collect();
    // records: one per 5 s flush of the CloudWatch agent
    let mut records: Vec<Vec<(i128, &str, u64)>> = Vec::new();
    for e in events {
        match records.last_mut() {
            Some(r) if e.0 < r[0].0 + 5_000 => r.push(e),
            _ => records.push(vec![e]),
        }
    }
    // objects: one per 300 s Firehose buffer
    let mut objects: Vec<(i128, Vec<String>, Vec<Vec<u64>>)> = Vec::new();
    let mut first = true;
    for r in &records {
        let delivered = r[r.len() - 1].0 + 800;
        let mut line = String::new();
        if first {
            first = false;
            let ms = r[0].0 - 61_000;
            line.push_str(&format!(
                "{{\"messageType\":\"CONTROL_MESSAGE\",\"owner\":\"CloudwatchLogs\",\"logGroup\":\"\",\"logStream\":\"\",\"subscriptionFilters\":[],\"logEvents\":[{{\"id\":\"\",\"timestamp\":{ms},\"message\":\"CWL CONTROL MESSAGE: Checking health of destination Firehose.\"}}]}}"
            ));
            objects.push((ms, vec![line], vec![vec![]]));
            line = String::new();
        }
        let evs: Vec<String> = r
            .iter()
            .map(|(ms, msg, _)| {
                let low = [
                    site.rng.next(),
                    site.rng.next() << 31 | site.rng.next(),
                    site.rng.next() << 31 | site.rng.next(),
                ];
                format!(
                    "{{\"id\":\"{}\",\"timestamp\":{ms},\"message\":{}}}",
                    event_id(*ms, low),
                    serde_json::to_string(msg).expect("JSON string")
                )
            })
            .collect();
        line.push_str(&format!(
            "{{\"messageType\":\"DATA_MESSAGE\",\"owner\":\"123456789012\",\"logGroup\":\"/clinic/worker\",\"logStream\":{},\"subscriptionFilters\":[\"clinic-worker-to-firehose\"],\"logEvents\":[{}]}}",
            serde_json::to_string(stream).expect("JSON string"),
            evs.join(",")
        ));
        let lines_of: Vec<u64> = r.iter().map(|e| e.2).collect();
        match objects.last_mut() {
            Some(o) if delivered < o.0 + 300_000 => {
                o.1.push(line);
                o.2.push(lines_of);
            }
            _ => objects.push((delivered, vec![line], vec![lines_of])),
        }
    }
    for (opened, records, lines_of) in objects {
        let t = utc(opened * MS);
        let file = format!(
            "s3/acme-clinic-logs/firehose/{}/clinic-logs-to-s3-1-{}-{}.gz",
            t.format("%Y/%m/%d/%H"),
            t.format("%Y-%m-%d-%H-%M-%S"),
            site.rng.uuid()
        );
        let mut text = String::new();
        for (k, (r, ls)) in records.iter().zip(&lines_of).enumerate() {
            text.push_str(r);
            text.push('\n');
            for &l in ls {
                site.note(sample, l, &file, &[k as u64 + 1]);
            }
        }
        site.write(&file, &gzip(text.as_bytes()));
    }
}

// ---------------------------------------------------------------------------
// Running and comparing

/// sidtrace on `path` (the samples or the wrapped site), from the
/// repository root, with the samples' grammars: its output and exit code.
fn sidtrace(cmd: &str, flags: &[&str], path: &str) -> (String, i32) {
    let args = sample_args(cmd, flags, &[path]);
    let out = run(&args);
    let code = out.status.code().unwrap_or(-1);
    // 3: a file or line could not be read (the report says which)
    assert!(
        matches!(code, 0 | 3),
        "sidtrace {args:?} exited with {code}\n{}",
        stderr(&out)
    );
    (stdout(&out), code)
}

/// The evidence of a report or an attempt, in the wrapped site's terms:
/// the wrapped site's own (relative to it), or the plain samples' mapped.
fn evidence(site: &Site, of: &Json, wrapped: bool) -> Vec<String> {
    let prefix = format!("{}/", site.path());
    let mut got = BTreeSet::new();
    for e in of.as_array().into_iter().flatten() {
        let file = e["file"].as_str().expect("evidence file");
        let line = e["line"].as_u64().expect("evidence line");
        if wrapped {
            let rel = file.strip_prefix(&prefix).unwrap_or(file);
            got.insert((rel.to_string(), line));
        } else {
            match site.map.get(&(file.to_string(), line)) {
                Some(to) => got.extend(to.iter().cloned()),
                None => {
                    got.insert((format!("(unplaced) {file}"), line));
                }
            }
        }
    }
    got.into_iter().map(|(f, l)| format!("{f}:{l}")).collect()
}

/// An investigate report, reduced to what must not change: one line per
/// incident, one per request (each names its incident).
fn incidents(site: &Site, report: &Json, wrapped: bool) -> Vec<String> {
    let mut out = Vec::new();
    for i in report["incidents"].as_array().expect("incidents") {
        let requests = i["requests"].as_array().expect("requests");
        let to = i["recipient"].as_str().unwrap_or("?");
        out.push(format!(
            "{to} {} cause={} sids={} requests={}",
            i["verdict"],
            i["cause"],
            i["sids"],
            requests.len()
        ));
        for r in requests {
            out.push(format!(
                "{to} request #{} {} sid={} status={} observers={} outcome={} failure={} evidence={:?}",
                r["number"],
                r["time"],
                r["sid"],
                r["status"],
                r["observers"],
                r["outcome"],
                r["failure"]["kind"],
                evidence(site, &r["evidence"], wrapped)
            ));
        }
    }
    out
}

/// One attempt of `extract`, reduced to what must not change; and its host.
fn attempts(site: &Site, out: &str, wrapped: bool) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = json_lines(out)
        .iter()
        .map(|a| {
            (
                format!(
                    "{} {} to={} sid={} status={} failure={} evidence={:?}",
                    a["time"]["nanos"],
                    a["observer"],
                    a["recipient"],
                    a["sid"],
                    a["status"],
                    a["failure"]["kind"],
                    evidence(site, &a["evidence"], wrapped)
                ),
                a["host"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// What one side has and the other lacks (as multisets), as problems.
fn differences(what: &str, want: &[String], got: &[String], problems: &mut Vec<String>) {
    let mut count: BTreeMap<&str, i64> = BTreeMap::new();
    for w in want {
        *count.entry(w).or_default() += 1;
    }
    for g in got {
        *count.entry(g).or_default() -= 1;
    }
    for w in want {
        if count.get(w.as_str()).is_some_and(|&c| c > 0) {
            problems.push(format!("{what}: plain only: {w}"));
            count.insert(w, 0);
        }
    }
    for g in got {
        if count.get(g.as_str()).is_some_and(|&c| c < 0) {
            problems.push(format!("{what}: wrapped only: {g}"));
            count.insert(g, 0);
        }
    }
}

/// Problems the wrapped site may report: CreateExportTask's permission
/// check object is no log.
fn expected_problem(site: &Site, p: &Json) -> bool {
    let prefix = format!("{}/", site.path());
    p["file"]
        .as_str()
        .and_then(|f| f.strip_prefix(&prefix))
        .is_some_and(|f| f.ends_with("exportedlogs/aws-logs-write-test"))
        && p["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("unknown format"))
}

/// `investigate` and `extract` on the samples, once for all tests.
fn plain_runs() -> &'static (Json, String) {
    static PLAIN: OnceLock<(Json, String)> = OnceLock::new();
    PLAIN.get_or_init(|| {
        let (report, code) = sidtrace("investigate", &TWILIO, "samples/logs");
        assert_eq!(code, 0, "the samples are read whole");
        let (posts, code) = sidtrace("extract", &[], "samples/logs");
        assert_eq!(code, 0, "the samples are read whole");
        (serde_json::from_str(&report).expect("JSON"), posts)
    })
}

const TWILIO: [&str; 4] = ["--twilio", "samples/twilio", "--format", "json"];

/// Run investigate and extract on the samples and on the wrapped site;
/// every difference is collected and reported in one failure.
fn check_site(site: &Site) {
    let wrapped = site.path();
    let (plain, plain_posts) = plain_runs();
    let mut problems = Vec::new();

    // investigate: the same incidents, requests and (mapped) evidence
    let got: Json =
        serde_json::from_str(&sidtrace("investigate", &TWILIO, &wrapped).0).expect("JSON");
    let want = incidents(site, plain, false);
    assert!(want.len() > 8, "the samples' incidents: {want:#?}");
    differences(
        "investigate",
        &want,
        &incidents(site, &got, true),
        &mut problems,
    );
    for key in ["per_verdict", "per_cause", "requests", "records"] {
        if got["summary"][key] != plain["summary"][key] {
            problems.push(format!(
                "investigate: summary {key}: plain {}, wrapped {}",
                plain["summary"][key], got["summary"][key]
            ));
        }
    }
    for p in got["inputs"]["problems"].as_array().into_iter().flatten() {
        if !expected_problem(site, p) {
            problems.push(format!("investigate: input problem: {p}"));
        }
    }

    // extract: the same POST attempts
    let plain = attempts(site, plain_posts, false);
    let got = attempts(site, &sidtrace("extract", &[], &wrapped).0, true);
    let keys = |v: &[(String, String)]| v.iter().map(|a| a.0.clone()).collect::<Vec<_>>();
    differences("extract", &keys(&plain), &keys(&got), &mut problems);

    // Hosts stay distinct: no wrapped host holds two sample hosts' POSTs.
    if keys(&plain) == keys(&got) {
        let mut hosts: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (p, w) in plain.iter().zip(&got) {
            hosts.entry(w.1.as_str()).or_default().insert(p.1.as_str());
        }
        for (w, p) in &hosts {
            if p.len() > 1 {
                problems.push(format!(
                    "extract: wrapped host {w} holds the POSTs of {p:?}"
                ));
            }
        }
    }

    assert!(
        problems.is_empty(),
        "the wrapped site ({}) differs from the samples in {} way(s) \
         (evidence of the samples mapped to the wrapped files; set {KEEP_VAR} to keep the site):\n{}",
        site.path(),
        problems.len(),
        problems.join("\n")
    );
}

/// `extract` on one sample log and on the wrapped site holding only it: the
/// same POST attempts (evidence mapped) on the same hosts.
fn check_one(site: &Site, sample: &str) {
    let plain = format!("samples/logs/{sample}");
    let want = attempts(site, &sidtrace("extract", &[], &plain).0, false);
    let got = attempts(site, &sidtrace("extract", &[], &site.path()).0, true);
    assert!(want.len() > 20, "{plain}'s POSTs: {want:#?}");
    let show = |v: &[(String, String)]| {
        v.iter()
            .map(|(a, h)| format!("{a} host={h}"))
            .collect::<Vec<_>>()
    };
    let mut problems = Vec::new();
    differences("extract", &show(&want), &show(&got), &mut problems);
    assert!(
        problems.is_empty(),
        "{plain} wrapped ({}): {} difference(s):\n{}",
        site.path(),
        problems.len(),
        problems.join("\n")
    );
}

/// worker-1's older log as Firehose objects: a record holds several events,
/// a request and its response often in one record (one line); the stream
/// is named after the host, so the host is the same.
#[test]
fn firehose_records_give_the_same_posts_as_the_plain_log() {
    let mut site = Site::new();
    firehose(&mut site, "worker-1/worker.log-20261120.zst");
    check_one(&site, "worker-1/worker.log-20261120.zst");
}

/// web-1's older log as a CloudWatch Logs export. Fails today: the
/// `syslog-rfc3339` wrapper (priority 40) matches an export line before
/// `cloudwatch-export` (priority -20) when the message holds
/// `<token> <word>:`, as structlog's `{"timestamp": "…", "level": …}` does
/// (host `{"timestamp":`, ident `"2026-11-20T13`), so the inner JSON is cut.
#[test]
fn cloudwatch_export_gives_the_same_posts_as_the_plain_log() {
    let mut site = Site::new();
    cloudwatch_export(&mut site, "web-1/app/clinic.log.1.gz", "web-1");
    check_one(&site, "web-1/app/clinic.log.1.gz");
}

/// Issue 10's site: web-1's and worker-1's older lines in CloudWatch Logs.
/// Fails today: the `syslog-rfc3339` wrapper (priority 40) matches the
/// export's lines before `cloudwatch-export` (priority -20) whenever the
/// message holds `<token> <word>:` (structlog's `{"timestamp": "…", …}`),
/// so web-1's older POSTs are not read; and coverage is per file-name
/// source, so the export object and each Firehose object are sources that
/// end before 18:10 and +14155550108 becomes inconclusive.
#[test]
#[ignore = "engine gap: coverage is per file-name source, so a host's CloudWatch export and Firehose objects are separate sources that each end early (issue 10)"]
fn mixed_site_gives_the_same_verdicts_as_the_plain_logs() {
    check_site(&build(Older::CloudWatch, false));
}

/// Every app log in CRI, each container's day in one 0.log.
#[test]
fn kubernetes_site_gives_the_same_verdicts_as_the_plain_logs() {
    check_site(&build(Older::SameFile, false));
}

/// Every app log in CRI, the older lines in the file the kubelet rotated
/// 0.log to. Fails today: `input::source_name` keeps
/// `0.log.20261120-155933` apart from `0.log` (it strips `.N` and 8- or
/// 10-digit dates, not the kubelet's `.YYYYMMDD-HHMMSS`), so the rotated
/// file is a source that ends before 18:10 and +14155550108 becomes
/// inconclusive.
#[test]
fn kubelet_rotated_site_gives_the_same_verdicts_as_the_plain_logs() {
    check_site(&build(Older::KubeletRotated, false));
}

/// The Kubernetes site with worker-1 on CRI-O, one POST line cut in two.
/// Fails today: neither piece holds `Messages.json`, so the request record
/// is lost without a problem reported, and +14155550107 loses its cause.
#[test]
#[ignore = "needs CRI partial joining (branch partials)"]
fn kubernetes_site_with_a_post_line_cut_by_conmon() {
    let site = build(Older::SameFile, true);
    // the cut line is two CRI lines, P then F
    let wrapped = &site.map[&(format!("samples/logs/{CUT_SAMPLE}"), CUT_LINE)];
    assert_eq!(wrapped.len(), 2, "{wrapped:?}");
    let (file, first) = wrapped.iter().next().expect("a piece");
    let text = fs::read_to_string(Path::new(&site.path()).join(file)).expect("CRI file");
    let pieces: Vec<&str> = text.lines().skip(*first as usize - 1).take(2).collect();
    assert!(
        pieces[0].contains(" stderr P ") && pieces[0].ends_with("/Messa"),
        "{pieces:?}"
    );
    assert!(pieces[1].contains(" stderr F ges.json\""), "{pieces:?}");
    check_site(&site);
}
