//! The grammar file schema (see `grammars/README.md`) and its compilation
//! into [`LoggerDef`], [`LineDef`] and [`WrapperDef`].

use std::collections::BTreeMap;

use regex::Regex;

/// A regular expression compiled on first use. The built-in definitions
/// hold a few hundred patterns and a run needs only those its files meet,
/// so compiling them all at start-up would cost more than reading a small
/// file; a user's patterns are compiled (checked) when their file is read.
#[derive(Debug, Clone)]
pub struct Pattern {
    src: String,
    re: std::sync::OnceLock<Regex>,
}

impl Pattern {
    fn lazy(src: &str) -> Pattern {
        Pattern {
            src: src.to_string(),
            re: std::sync::OnceLock::new(),
        }
    }

    fn compiled(src: &str, re: Regex) -> Pattern {
        let cell = std::sync::OnceLock::new();
        let _ = cell.set(re);
        Pattern {
            src: src.to_string(),
            re: cell,
        }
    }
}

impl std::ops::Deref for Pattern {
    type Target = Regex;

    fn deref(&self) -> &Regex {
        self.re.get_or_init(|| {
            // built-in patterns are checked by the tests; should one fail to
            // compile, it matches nothing rather than stopping a run
            Regex::new(&self.src).unwrap_or_else(|_| Regex::new(r"[^\s\S]").expect("static regex"))
        })
    }
}

/// Whether `origin` is one of the embedded grammar files (compiled lazily,
/// checked by the tests) rather than a user's (checked when read).
fn is_builtin(origin: &str) -> bool {
    super::BUILTIN_FILES.iter().any(|(f, _)| *f == origin) && !CHECK_ALL.with(|c| c.get())
}

thread_local! {
    /// Set by [`check_builtins`]: compile and check the built-ins eagerly.
    static CHECK_ALL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Compile every built-in definition eagerly, with all the checks a user's
/// file gets (for tests and `formats test`).
pub fn check_builtins() -> Vec<Result<Defs, String>> {
    CHECK_ALL.with(|c| c.set(true));
    let out = super::BUILTIN_FILES
        .iter()
        .map(|(label, text)| {
            let t: super::DefTables = toml::from_str(text).map_err(|e| format!("{label}: {e}"))?;
            t.compile(label).map_err(|e| format!("{label}: {e}"))
        })
        .collect();
    CHECK_ALL.with(|c| c.set(false));
    out
}
use serde::Deserialize;

use crate::model::TimeAnchor;

/// The roles an application record's fields can play.
pub const APP_ROLES: &[&str] = &[
    "time",
    "level",
    "message",
    "logger",
    "function",
    "file",
    "line",
    "caller",
    "thread",
    "host",
    "pid",
    "method",
    "url",
    "to",
    "from",
    "body",
    "form",
    "status",
    "sid",
    "response_body",
    "duration",
    "duration_ms",
    "duration_s",
    "duration_ns",
    "error",
    "error_type",
    "request_id",
    "trace_id",
    "span_id",
    "job_id",
    "twilio_request_id",
    "traceparent",
    "idempotency_token",
    "user_agent",
    "inbound_method",
    "inbound_path",
    "client_addr",
    "webhook",
    "stack_trace",
    "twilio",
];

/// The roles an access-log line's fields can play.
pub const ACCESS_ROLES: &[&str] = &[
    "time",
    "start_time",
    "remote_addr",
    "remote_user",
    "request_line",
    "method",
    "target",
    "protocol",
    "status",
    "bytes_sent",
    "duration",
    "duration_ms",
    "duration_s",
    "duration_ns",
    "upstream_addr",
    "upstream_status",
    "upstream_response_time",
    "request_id",
    "trace_id",
    "vhost",
    "referer",
    "user_agent",
    "request_body",
    "forwarded_for",
    "host",
];

/// A capture or key that is no role but is read by the line machinery.
const LINE_EXTRA: &[&str] = &["rest", "inner", "stream", "tag", "ident"];

/// What a definition produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An application log record.
    App,
    /// An access-log line.
    Access,
}

/// The text a structured record was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A JSON object.
    Json,
    /// `key=value` pairs (a logfmt line, a text line's captures).
    Logfmt,
}

/// Unit of an epoch number or a duration number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Seconds.
    S,
    /// Milliseconds.
    Ms,
    /// Microseconds.
    Us,
    /// Nanoseconds.
    Ns,
    /// Seconds when the number has a fraction, else milliseconds (Python).
    SIfFraction,
    /// Nanoseconds when the number is an integer, else milliseconds (Go's
    /// `time.Duration` through logrus and slog).
    NsIfInteger,
}

impl Unit {
    fn parse(s: &str) -> Option<Unit> {
        Some(match s {
            "s" => Unit::S,
            "ms" => Unit::Ms,
            "us" => Unit::Us,
            "ns" => Unit::Ns,
            "s_if_fraction" => Unit::SIfFraction,
            "ns_if_integer" => Unit::NsIfInteger,
            _ => return None,
        })
    }

    /// A number in this unit as milliseconds.
    pub fn to_ms(self, n: f64) -> f64 {
        match self {
            Unit::S => n * 1e3,
            Unit::Ms => n,
            Unit::Us => n / 1e3,
            Unit::Ns => n / 1e6,
            Unit::SIfFraction if n.fract() != 0.0 && n < 1e5 => n * 1e3,
            Unit::SIfFraction => n,
            Unit::NsIfInteger if n.fract() == 0.0 => n / 1e6,
            Unit::NsIfInteger => n,
        }
    }

    /// Nanoseconds in one unit (for epoch times).
    pub fn nanos(self) -> i64 {
        match self {
            Unit::S | Unit::SIfFraction => 1_000_000_000,
            Unit::Ms => 1_000_000,
            Unit::Us => 1_000,
            Unit::Ns | Unit::NsIfInteger => 1,
        }
    }
}

/// A sample line and the roles it must give.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// The line as the software writes it.
    pub line: String,
    /// Role → expected value (strings, numbers or booleans).
    #[serde(default)]
    pub expect: BTreeMap<String, toml::Value>,
}

/// A message template: a regex whose named groups give roles.
#[derive(Debug, Clone)]
pub struct Template {
    /// The role whose text is matched.
    pub on: String,
    /// The compiled pattern.
    pub regex: Pattern,
}

/// A structured-record definition (`[[logger]]`).
#[derive(Debug, Clone)]
pub struct LoggerDef {
    /// Name, shown as `json:NAME` / `logfmt:NAME`.
    pub name: String,
    /// What it produces.
    pub kind: Kind,
    /// The file it came from.
    pub origin: String,
    /// Free text.
    pub description: String,
    /// Where the shape was learned.
    pub source: String,
    pub(crate) match_all: Vec<String>,
    pub(crate) match_any: Vec<String>,
    pub(crate) match_none: Vec<String>,
    pub(crate) match_value: Vec<(String, Pattern)>,
    /// Only records read from this form are detected as this logger.
    pub form: Option<Form>,
    /// Higher is tried first.
    pub priority: i64,
    /// Unit of numeric times (`None`: by magnitude).
    pub time_unit: Option<Unit>,
    /// Unit of numeric `duration` values.
    pub duration_unit: Unit,
    /// Which moment `time` marks (access kind).
    pub time_anchor: TimeAnchor,
    /// Fall back on the generic paths.
    pub inherit: bool,
    /// Role → paths.
    pub fields: BTreeMap<String, Vec<String>>,
    /// Role → normalised leaf names found anywhere in the record.
    pub leaves: BTreeMap<String, Vec<String>>,
    /// Message templates.
    pub templates: Vec<Template>,
    /// Sample lines.
    pub samples: Vec<Sample>,
}

impl LoggerDef {
    /// True when this definition has detection conditions (the generic
    /// fallbacks have none and are chosen only when nothing else fits).
    pub fn has_conditions(&self) -> bool {
        !(self.match_all.is_empty() && self.match_any.is_empty() && self.match_value.is_empty())
    }
}

/// A text line grammar (`[[line]]`).
#[derive(Debug, Clone)]
pub struct LineDef {
    /// Name, shown as `line:NAME`.
    pub name: String,
    /// What it produces.
    pub kind: Kind,
    /// The file it came from.
    pub origin: String,
    /// Free text.
    pub description: String,
    /// Where the shape was learned.
    pub source: String,
    /// The pattern.
    pub regex: Pattern,
    /// A literal every matching line contains (cheap pre-check), if any.
    pub time_format: Option<String>,
    /// A capture read further as logfmt or JSON.
    pub rest: Option<String>,
    /// How `rest` is read.
    pub rest_as: RestAs,
    /// The logger definition that maps the keys.
    pub logger: Option<String>,
    /// Which moment `time` marks (access kind).
    pub time_anchor: TimeAnchor,
    /// Higher wins ties in detection.
    pub priority: i64,
    /// Sample lines.
    pub samples: Vec<Sample>,
}

/// How a line grammar's `rest` capture is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestAs {
    /// `key=value` pairs; text that is none stays the message.
    Logfmt,
    /// A JSON object.
    Json,
}

/// How a wrapper marks a piece of a longer line.
#[derive(Debug, Clone)]
pub enum Partial {
    /// Never split.
    None,
    /// A capture or key whose value marks a piece to join with the next.
    Marker {
        /// Capture/key name.
        key: String,
        /// The value that marks a partial piece.
        value: String,
        /// The capture/key whose value names the stream a piece belongs
        /// to: pieces are joined only with pieces of the same stream.
        group: Option<String>,
        /// Literals the line of every partial piece contains (` stdout P`):
        /// only lines holding one are looked at for pieces. Empty: every
        /// line of the file is.
        find: Vec<String>,
    },
    /// An inner text without a trailing newline continues in the next line.
    Unterminated {
        /// As for [`Partial::Marker`].
        group: Option<String>,
        /// The text that follows the inner text in every line (for JSON,
        /// from its closing quote: `","stream"`): a line is a partial piece
        /// when no newline precedes it. `None`: every line is looked at.
        end: Option<String>,
    },
}

impl Partial {
    /// Whether a piece can continue in the next line.
    pub fn splits(&self) -> bool {
        !matches!(self, Partial::None)
    }

    /// The capture/key naming a piece's stream.
    pub fn group(&self) -> Option<&str> {
        match self {
            Partial::Marker { group, .. } | Partial::Unterminated { group, .. } => group.as_deref(),
            Partial::None => None,
        }
    }
}

/// How a wrapper is recognised.
#[derive(Debug, Clone)]
pub enum WrapMatch {
    /// A regex with an `inner` capture.
    Pattern(Pattern),
    /// A JSON object with these keys.
    Json {
        /// All of these paths.
        all: Vec<String>,
        /// At least one of these, when given.
        any: Vec<String>,
    },
}

/// A wrapper definition (`[[wrapper]]`).
#[derive(Debug, Clone)]
pub struct WrapperDef {
    /// Name.
    pub name: String,
    /// The file it came from.
    pub origin: String,
    /// Free text.
    pub description: String,
    /// Where the shape was learned.
    pub source: String,
    /// Recognition.
    pub matcher: WrapMatch,
    /// Paths of the inner text or object (JSON wrappers).
    pub inner: Vec<String>,
    /// Paths of the wrapper's time (JSON wrappers; regex ones use `time`).
    pub time: Vec<String>,
    /// chrono strftime for the time capture.
    pub time_format: Option<String>,
    /// Unit of numeric times.
    pub time_unit: Option<Unit>,
    /// Paths of the host (JSON wrappers; regex ones use `host`).
    pub host: Vec<String>,
    /// An array whose every element is one inner record.
    pub each: Option<String>,
    /// Partial lines.
    pub partial: Partial,
    /// Higher is tried first.
    pub priority: i64,
    /// Sample lines.
    pub samples: Vec<Sample>,
}

/// A site's extra paths for one logger (or `*`).
#[derive(Debug, Clone)]
pub struct SitePaths {
    /// The logger name, or `*`.
    pub logger: String,
    /// Role → paths, tried before the logger's own.
    pub fields: BTreeMap<String, Vec<String>>,
    /// The file it came from.
    pub origin: String,
}

/// Everything one grammar file defines (besides access templates).
#[derive(Debug, Clone, Default)]
pub struct Defs {
    /// `[[logger]]`.
    pub loggers: Vec<LoggerDef>,
    /// `[[line]]`.
    pub lines: Vec<LineDef>,
    /// `[[wrapper]]`.
    pub wrappers: Vec<WrapperDef>,
    /// `[[paths]]`.
    pub paths: Vec<SitePaths>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplateDef {
    #[serde(default)]
    on: Option<String>,
    pattern: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoggerToml {
    name: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    match_all: Vec<String>,
    #[serde(default)]
    match_any: Vec<String>,
    #[serde(default)]
    match_none: Vec<String>,
    #[serde(default)]
    match_value: BTreeMap<String, String>,
    #[serde(default)]
    form: Option<String>,
    #[serde(default)]
    priority: i64,
    #[serde(default)]
    time_unit: Option<String>,
    #[serde(default)]
    duration_unit: Option<String>,
    #[serde(default)]
    time_anchor: Option<String>,
    #[serde(default)]
    inherit: Option<bool>,
    #[serde(default)]
    fields: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    leaves: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    template: Vec<TemplateDef>,
    #[serde(default)]
    sample: Vec<Sample>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LineToml {
    name: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    source: Option<String>,
    pattern: String,
    #[serde(default)]
    time_format: Option<String>,
    #[serde(default)]
    rest: Option<String>,
    #[serde(default)]
    rest_as: Option<String>,
    #[serde(default)]
    logger: Option<String>,
    #[serde(default)]
    time_anchor: Option<String>,
    #[serde(default)]
    priority: i64,
    #[serde(default)]
    sample: Vec<Sample>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum PartialToml {
    Marker {
        key: String,
        value: String,
        #[serde(default)]
        group: Option<String>,
        #[serde(default)]
        find: Vec<String>,
    },
    Unterminated {
        unterminated: bool,
        #[serde(default)]
        group: Option<String>,
        #[serde(default)]
        end: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WrapperToml {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    match_all: Vec<String>,
    #[serde(default)]
    match_any: Vec<String>,
    #[serde(default)]
    inner: Option<OneOrMany>,
    #[serde(default)]
    time: Option<OneOrMany>,
    #[serde(default)]
    time_format: Option<String>,
    #[serde(default)]
    time_unit: Option<String>,
    #[serde(default)]
    host: Option<OneOrMany>,
    #[serde(default)]
    each: Option<String>,
    #[serde(default)]
    partial: Option<PartialToml>,
    #[serde(default)]
    priority: i64,
    #[serde(default)]
    sample: Vec<Sample>,
}

/// Compile errors name the definition.
fn err(kind: &str, name: &str, msg: impl std::fmt::Display) -> String {
    format!("{kind} {name}: {msg}")
}

fn kind_of(s: Option<&str>, what: &str, name: &str) -> Result<Kind, String> {
    match s {
        None | Some("app") => Ok(Kind::App),
        Some("access") => Ok(Kind::Access),
        Some(o) => Err(err(
            what,
            name,
            format!("kind must be app or access, not `{o}`"),
        )),
    }
}

fn anchor_of(s: Option<&str>, kind: Kind, what: &str, name: &str) -> Result<TimeAnchor, String> {
    match (s, kind) {
        (None, Kind::App) => Ok(TimeAnchor::LogRecord),
        (None, Kind::Access) | (Some("end"), _) => Ok(TimeAnchor::RequestEnd),
        (Some("start"), _) => Ok(TimeAnchor::RequestStart),
        (Some("record"), _) => Ok(TimeAnchor::LogRecord),
        (Some(o), _) => Err(err(
            what,
            name,
            format!("time_anchor must be start, end or record, not `{o}`"),
        )),
    }
}

fn unit_of(s: Option<&str>, what: &str, name: &str) -> Result<Option<Unit>, String> {
    match s {
        None => Ok(None),
        Some(u) => Unit::parse(u).map(Some).ok_or_else(|| {
            err(
                what,
                name,
                format!("unit must be s, ms, us, ns, s_if_fraction or ns_if_integer, not `{u}`"),
            )
        }),
    }
}

fn regex_of(p: &str, what: &str, name: &str, origin: &str) -> Result<Pattern, String> {
    if is_builtin(origin) {
        return Ok(Pattern::lazy(p));
    }
    Regex::new(p)
        .map(|re| Pattern::compiled(p, re))
        .map_err(|e| err(what, name, format!("bad pattern: {e}")))
}

fn roles_for(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::App => APP_ROLES,
        Kind::Access => ACCESS_ROLES,
    }
}

fn check_roles<'a>(
    keys: impl Iterator<Item = &'a String>,
    kind: Kind,
    what: &str,
    name: &str,
) -> Result<(), String> {
    let roles = roles_for(kind);
    for k in keys {
        if !roles.contains(&k.as_str()) {
            return Err(err(
                what,
                name,
                format!("unknown role `{k}` (roles: {})", roles.join(", ")),
            ));
        }
    }
    Ok(())
}

pub(crate) fn logger(t: LoggerToml, origin: &str) -> Result<LoggerDef, String> {
    let name = t.name;
    let kind = kind_of(t.kind.as_deref(), "logger", &name)?;
    let fields: BTreeMap<String, Vec<String>> = t
        .fields
        .into_iter()
        .map(|(k, v)| (k, v.into_vec()))
        .collect();
    check_roles(fields.keys(), kind, "logger", &name)?;
    let leaves: BTreeMap<String, Vec<String>> = t
        .leaves
        .into_iter()
        .map(|(k, v)| (k, v.into_vec()))
        .collect();
    check_roles(leaves.keys(), kind, "logger", &name)?;
    let mut templates = Vec::new();
    for tp in t.template {
        let regex = regex_of(&tp.pattern, "logger", &name, origin)?;
        let on = tp.on.unwrap_or_else(|| "message".to_string());
        let roles = roles_for(kind);
        let names: Vec<&str> = if is_builtin(origin) {
            Vec::new()
        } else {
            regex.capture_names().flatten().collect()
        };
        for g in names {
            if !roles.contains(&g) {
                return Err(err(
                    "logger",
                    &name,
                    format!("template group `{g}` is no role"),
                ));
            }
        }
        templates.push(Template { on, regex });
    }
    let mut match_value = Vec::new();
    for (path, p) in t.match_value {
        match_value.push((path, regex_of(&p, "logger", &name, origin)?));
    }
    let time_anchor = anchor_of(t.time_anchor.as_deref(), kind, "logger", &name)?;
    let form = match t.form.as_deref() {
        None => None,
        Some("json") => Some(Form::Json),
        Some("logfmt") => Some(Form::Logfmt),
        Some(o) => {
            return Err(err(
                "logger",
                &name,
                format!("form must be json or logfmt, not `{o}`"),
            ))
        }
    };
    Ok(LoggerDef {
        form,
        kind,
        origin: origin.to_string(),
        description: t.description.unwrap_or_default(),
        source: t.source.unwrap_or_default(),
        match_all: t.match_all,
        match_any: t.match_any,
        match_none: t.match_none,
        match_value,
        priority: t.priority,
        time_unit: unit_of(t.time_unit.as_deref(), "logger", &name)?,
        duration_unit: unit_of(t.duration_unit.as_deref(), "logger", &name)?.unwrap_or(Unit::Ms),
        time_anchor,
        inherit: t.inherit.unwrap_or(true),
        fields,
        leaves,
        templates,
        samples: t.sample,
        name,
    })
}

pub(crate) fn line(t: LineToml, origin: &str) -> Result<LineDef, String> {
    let name = t.name;
    let kind = kind_of(t.kind.as_deref(), "line", &name)?;
    let regex = regex_of(&t.pattern, "line", &name, origin)?;
    let checked = !is_builtin(origin);
    if checked && t.logger.is_none() {
        let roles = roles_for(kind);
        for g in regex.capture_names().flatten() {
            if !roles.contains(&g) && !LINE_EXTRA.contains(&g) && t.rest.as_deref() != Some(g) {
                return Err(err(
                    "line",
                    &name,
                    format!("capture `{g}` is no role (or name a `logger` to map it)"),
                ));
            }
        }
    }
    if let (Some(r), true) = (&t.rest, checked) {
        if !regex.capture_names().flatten().any(|g| g == r) {
            return Err(err("line", &name, format!("rest `{r}` is no capture")));
        }
    }
    let rest_as = match t.rest_as.as_deref() {
        None | Some("logfmt") => RestAs::Logfmt,
        Some("json") => RestAs::Json,
        Some(o) => {
            return Err(err(
                "line",
                &name,
                format!("rest_as must be logfmt or json, not `{o}`"),
            ))
        }
    };
    Ok(LineDef {
        kind,
        origin: origin.to_string(),
        description: t.description.unwrap_or_default(),
        source: t.source.unwrap_or_default(),
        regex,
        time_format: t.time_format,
        rest: t.rest,
        rest_as,
        logger: t.logger,
        time_anchor: anchor_of(t.time_anchor.as_deref(), kind, "line", &name)?,
        priority: t.priority,
        samples: t.sample,
        name,
    })
}

pub(crate) fn wrapper(t: WrapperToml, origin: &str) -> Result<WrapperDef, String> {
    let name = t.name;
    let matcher = match (&t.pattern, t.match_all.is_empty() && t.match_any.is_empty()) {
        (Some(p), true) => {
            let re = regex_of(p, "wrapper", &name, origin)?;
            if !is_builtin(origin) && !re.capture_names().flatten().any(|g| g == "inner") {
                return Err(err(
                    "wrapper",
                    &name,
                    "the pattern needs an `inner` capture",
                ));
            }
            WrapMatch::Pattern(re)
        }
        (None, false) => WrapMatch::Json {
            all: t.match_all,
            any: t.match_any,
        },
        (Some(_), false) => {
            return Err(err(
                "wrapper",
                &name,
                "give either a pattern or match_all/match_any, not both",
            ))
        }
        (None, true) => {
            return Err(err(
                "wrapper",
                &name,
                "give a pattern or match_all/match_any",
            ))
        }
    };
    let inner = t.inner.map(OneOrMany::into_vec).unwrap_or_default();
    if matches!(matcher, WrapMatch::Json { .. }) && inner.is_empty() {
        return Err(err("wrapper", &name, "a JSON wrapper needs `inner` paths"));
    }
    let partial = match t.partial {
        None => Partial::None,
        Some(PartialToml::Marker {
            key,
            value,
            group,
            find,
        }) => Partial::Marker {
            key,
            value,
            group,
            find: find.into_iter().filter(|f| !f.is_empty()).collect(),
        },
        Some(PartialToml::Unterminated {
            unterminated,
            group,
            end,
        }) => {
            if unterminated {
                Partial::Unterminated {
                    group,
                    end: end.filter(|e| !e.is_empty()),
                }
            } else {
                Partial::None
            }
        }
    };
    Ok(WrapperDef {
        origin: origin.to_string(),
        description: t.description.unwrap_or_default(),
        source: t.source.unwrap_or_default(),
        matcher,
        inner,
        time: t.time.map(OneOrMany::into_vec).unwrap_or_default(),
        time_format: t.time_format,
        time_unit: unit_of(t.time_unit.as_deref(), "wrapper", &name)?,
        host: t.host.map(OneOrMany::into_vec).unwrap_or_default(),
        each: t.each,
        partial,
        priority: t.priority,
        samples: t.sample,
        name,
    })
}

pub(crate) fn paths(
    logger: String,
    fields: BTreeMap<String, OneOrMany>,
    origin: &str,
) -> Result<SitePaths, String> {
    let fields: BTreeMap<String, Vec<String>> =
        fields.into_iter().map(|(k, v)| (k, v.into_vec())).collect();
    for k in fields.keys() {
        if !APP_ROLES.contains(&k.as_str()) && !ACCESS_ROLES.contains(&k.as_str()) {
            return Err(err("paths", &logger, format!("unknown role `{k}`")));
        }
    }
    Ok(SitePaths {
        logger,
        fields,
        origin: origin.to_string(),
    })
}
