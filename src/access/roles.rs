//! Which access-log field carries which role: request and trace ids, the
//! client, the upstream, the duration and its unit … One table, data in
//! `grammars/access-roles.toml` (compiled once), shared by the nginx and
//! Apache compilers and by the reading of a line's ids.
//!
//! A user's grammar file adds `[[role]]` entries; an entry for a variable or
//! header the table already knows replaces the built-in one (a site's
//! `X-Correlation-ID` may be its trace id, not a request id).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde::Deserialize;

use super::template::Kind;
use super::{apache, nginx, AccessGrammar, Dialect, GrammarError};

/// What a field means to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A request id (the server's own, or one passed along in a header).
    RequestId,
    /// A trace id.
    TraceId,
    /// A W3C `traceparent` value: the trace id is its second `-` part.
    Traceparent,
    /// A span id.
    SpanId,
    /// A job id.
    JobId,
    /// The `Twilio-Request-Id` of Twilio's response.
    TwilioRequestId,
    /// The client's address.
    RemoteAddr,
    /// `X-Forwarded-For`.
    ForwardedFor,
    /// The upstream server(s) tried.
    UpstreamAddr,
    /// Their statuses.
    UpstreamStatus,
    /// Their response times.
    UpstreamResponseTime,
    /// How long the request took (in the entry's unit).
    Duration,
    /// The request body.
    RequestBody,
    /// User-Agent.
    UserAgent,
    /// Referer.
    Referer,
    /// The virtual host.
    Vhost,
}

/// Role names as a grammar file writes them (`client` is another name for
/// `remote_addr`).
const NAMES: &[(&str, Role)] = &[
    ("request_id", Role::RequestId),
    ("trace_id", Role::TraceId),
    ("traceparent", Role::Traceparent),
    ("span_id", Role::SpanId),
    ("job_id", Role::JobId),
    ("twilio_request_id", Role::TwilioRequestId),
    ("remote_addr", Role::RemoteAddr),
    ("client", Role::RemoteAddr),
    ("forwarded_for", Role::ForwardedFor),
    ("upstream_addr", Role::UpstreamAddr),
    ("upstream_status", Role::UpstreamStatus),
    ("upstream_response_time", Role::UpstreamResponseTime),
    ("duration", Role::Duration),
    ("request_body", Role::RequestBody),
    ("user_agent", Role::UserAgent),
    ("referer", Role::Referer),
    ("vhost", Role::Vhost),
];

/// The ids a line can carry, in the order [`Roles::id_sources`] is asked.
pub const ID_ROLES: [Role; 5] = [
    Role::RequestId,
    Role::TraceId,
    Role::SpanId,
    Role::JobId,
    Role::TwilioRequestId,
];

impl Role {
    /// The name a grammar file uses.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, r)| *r == self)
            .map_or("", |(n, _)| n)
    }

    fn parse(s: &str) -> Option<Role> {
        NAMES.iter().find(|(n, _)| *n == s).map(|(_, r)| *r)
    }

    /// The id this role gives, if it gives one.
    pub fn id(self) -> Option<Role> {
        match self {
            Role::Traceparent => Some(Role::TraceId),
            r if ID_ROLES.contains(&r) => Some(r),
            _ => None,
        }
    }

    fn is_upstream_list(self) -> bool {
        matches!(
            self,
            Role::UpstreamAddr | Role::UpstreamStatus | Role::UpstreamResponseTime
        )
    }
}

/// A field's role, as a compiled template uses it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RoleField {
    pub role: Role,
    /// Among several fields of the role in one format, a strong one's value
    /// is the line's (weak ones only fill an empty slot).
    pub strong: bool,
    /// The value never holds a space: as a format's last field it ends at
    /// the first space, and what follows is trailing text.
    pub token: bool,
    /// Duration: milliseconds per unit.
    pub ms_per_unit: f64,
    /// Written as a whole number (Apache `%D`, `%T`); nginx writes
    /// `$request_time` with a fraction. Telling them apart keeps a front
    /// nginx log from being read with an Apache format.
    pub integer: bool,
}

impl RoleField {
    pub(crate) fn is_upstream_list(&self) -> bool {
        self.role.is_upstream_list()
    }
}

/// One `[[role]]` table as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleToml {
    role: String,
    #[serde(default)]
    nginx: Vec<String>,
    #[serde(default)]
    apache: Vec<String>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    strong: bool,
    #[serde(default)]
    token: bool,
    /// Free text shown to people.
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
}

/// One `[[role]]` entry, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleEntry {
    /// The role.
    pub role: Role,
    /// nginx variables as written (`$http_x_txn_id`).
    pub nginx: Vec<String>,
    /// Apache directives as written (`%{X-Txn-Id}i`).
    pub apache: Vec<String>,
    /// The file (and table) it came from.
    pub origin: String,
    /// Field names: nginx variables without `$`; Apache directives as the
    /// compiler names their fields (`%{X-Txn-Id}i` is `http_x_txn_id`).
    nginx_keys: Vec<String>,
    apache_keys: Vec<String>,
    strong: bool,
    token: bool,
    ms_per_unit: f64,
}

impl RoleEntry {
    fn field(&self, dialect: Dialect) -> RoleField {
        RoleField {
            role: self.role,
            strong: self.strong,
            token: self.token,
            ms_per_unit: self.ms_per_unit,
            integer: dialect == Dialect::Apache,
        }
    }
}

/// A field an id is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdSource {
    /// The field's name (a key of [`crate::record::AccessLine::fields`]).
    pub field: String,
    /// A `traceparent` value, whose second `-` part is the trace id.
    pub traceparent: bool,
    /// One of the server's own ids (`$request_id`, `%{UNIQUE_ID}e`); the
    /// template already chose among them for the line's request id.
    pub strong: bool,
}

/// The roles table: the built-in entries and a user's.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    nginx: HashMap<String, RoleField>,
    apache: HashMap<String, RoleField>,
    /// Per id ([`ID_ROLES`]), the fields it is read from, in order.
    ids: HashMap<Role, Vec<IdSource>>,
    /// The user's entries, as given.
    user: Vec<RoleEntry>,
}

/// The built-in table, embedded.
const BUILTIN_FILE: (&str, &str) = (
    "grammars/access-roles.toml",
    include_str!("../../grammars/access-roles.toml"),
);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesFile {
    #[serde(default)]
    role: Vec<RoleToml>,
}

fn builtin_entries() -> Result<Vec<RoleEntry>, GrammarError> {
    let (label, text) = BUILTIN_FILE;
    let file: RolesFile =
        toml::from_str(text).map_err(|e| GrammarError::plain(label, e.message()))?;
    compile_entries(label, file.role)
}

fn unit_ms(unit: &str) -> Option<f64> {
    match unit {
        "s" => Some(1000.0),
        "ms" => Some(1.0),
        "us" => Some(0.001),
        "ns" => Some(0.000_001),
        _ => None,
    }
}

/// Check `[[role]]` tables and name their fields.
pub(crate) fn compile_entries(
    label: &str,
    tables: Vec<RoleToml>,
) -> Result<Vec<RoleEntry>, GrammarError> {
    tables
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let err = |m: String| GrammarError::plain(label, format!("role {}: {m}", i + 1));
            let role = Role::parse(&t.role).ok_or_else(|| {
                let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
                err(format!(
                    "unknown role `{}` (one of {})",
                    t.role,
                    names.join(", ")
                ))
            })?;
            let ms_per_unit = match (role, t.unit.as_deref()) {
                (Role::Duration, Some(u)) => unit_ms(u)
                    .ok_or_else(|| err(format!("unit must be s, ms, us or ns, not `{u}`")))?,
                (Role::Duration, None) => return Err(err("a duration needs its unit".into())),
                (_, Some(_)) => return Err(err("unit is for a duration only".into())),
                (_, None) => 1.0,
            };
            if t.nginx.is_empty() && t.apache.is_empty() {
                return Err(err("names no nginx variable and no Apache directive".into()));
            }
            let nginx_keys = t
                .nginx
                .iter()
                .map(|v| {
                    nginx::variable_name(v).ok_or_else(|| {
                        err(format!(
                            "`{v}` is not one nginx variable like $http_x_request_id"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let apache_keys = t
                .apache
                .iter()
                .map(|d| apache::directive_field(d).map_err(|m| err(format!("`{d}`: {m}"))))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(RoleEntry {
                role,
                nginx: t.nginx,
                apache: t.apache,
                origin: label.to_string(),
                nginx_keys,
                apache_keys,
                strong: t.strong,
                // a duration is a number
                token: t.token || role == Role::Duration,
                ms_per_unit,
            })
        })
        .collect()
}

static BUILTIN: OnceLock<(Vec<RoleEntry>, Roles)> = OnceLock::new();

fn builtin_pair() -> &'static (Vec<RoleEntry>, Roles) {
    BUILTIN.get_or_init(|| {
        // a test checks that the built-in table compiles
        let entries = builtin_entries().unwrap_or_default();
        let roles = Roles::build(&[], &entries);
        (entries, roles)
    })
}

impl Roles {
    /// The built-in table (`grammars/access-roles.toml`), compiled once.
    pub fn builtin() -> &'static Roles {
        &builtin_pair().1
    }

    /// The built-in table with a user's entries, which come first: the
    /// first entry that names a field gives it its role, and a user's ids
    /// are read before the built-in ones.
    pub fn with_user(user: Vec<RoleEntry>) -> Roles {
        if user.is_empty() {
            return Roles::builtin().clone();
        }
        let mut r = Roles::build(&user, &builtin_pair().0);
        r.user = user;
        r
    }

    fn build(user: &[RoleEntry], builtin: &[RoleEntry]) -> Roles {
        let mut r = Roles::default();
        let mut claimed: HashSet<&str> = HashSet::new();
        for e in user.iter().chain(builtin) {
            for k in &e.nginx_keys {
                r.nginx
                    .entry(k.clone())
                    .or_insert_with(|| e.field(Dialect::Nginx));
            }
            for k in &e.apache_keys {
                r.apache
                    .entry(k.clone())
                    .or_insert_with(|| e.field(Dialect::Apache));
            }
            // ids are read from a line's fields by name, whichever the
            // dialect (and JSON access logs use nginx's names)
            for k in e.nginx_keys.iter().chain(&e.apache_keys) {
                if !claimed.insert(k.as_str()) {
                    continue;
                }
                if let Some(id) = e.role.id() {
                    r.ids.entry(id).or_default().push(IdSource {
                        field: k.clone(),
                        traceparent: e.role == Role::Traceparent,
                        strong: e.strong,
                    });
                }
            }
        }
        r
    }

    /// The role of an nginx variable (its name without `$`).
    pub(crate) fn nginx(&self, var: &str) -> Option<Kind> {
        self.nginx.get(var).map(|f| Kind::Role(*f))
    }

    /// The role of an Apache field, by the name the compiler gave it.
    pub(crate) fn apache(&self, field: &str) -> Option<Kind> {
        self.apache.get(field).map(|f| Kind::Role(*f))
    }

    /// The fields the id `role` (one of [`ID_ROLES`]) is read from, in order.
    pub fn id_sources(&self, role: Role) -> &[IdSource] {
        self.ids.get(&role).map_or(&[], Vec::as_slice)
    }

    /// The user's entries.
    pub fn user_entries(&self) -> &[RoleEntry] {
        &self.user
    }

    /// Give the fields of `grammars` the roles of this table (a user's
    /// roles reach formats compiled before they were known, built-in ones
    /// too).
    pub fn apply(&self, grammars: &mut [AccessGrammar]) {
        for g in grammars {
            g.apply_roles(self);
        }
    }
}

#[cfg(test)]
pub(crate) fn builtin_entry_count() -> Result<usize, GrammarError> {
    builtin_entries().map(|e| e.len())
}
