//! `--format json`: the report as one pretty-printed document.

use super::report::Report;

/// Every string of the document (already sanitized field by field) passes
/// the credential scrub once more on its way out.
pub(crate) fn render(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    crate::scrub::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
