//! `--format json`: the report as one pretty-printed document.

use super::report::Report;

pub(crate) fn render(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(std::io::Error::other)?;
    writeln!(out)
}
