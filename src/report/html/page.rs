//! The HTML page: every string that comes from a report goes through [`esc`]. Sections are
//! plain tables that read without JavaScript; charts are inline SVG; the script only adds
//! sorting and a filter box.

use super::summary::{self, Counts, Dimension, Expiry, Item, Role, Status, Summary};
use super::svg;
use crate::model::{Finding, Severity};
use std::borrow::Cow;
use std::fmt::Write;

/// Forbids every load from anywhere: the page is one file and stays one file.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
                       script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/// Escapes text for HTML element content and quoted attribute values. Control characters
/// other than line breaks and tabs (whitespace to HTML), and bidi overrides and other
/// invisible characters ([`crate::textsafe`]), are shown as their escapes (`\x1b`, `\r`,
/// `\u{202e}`): in a browser a bidi override would reorder the text around it, and the page
/// may be read raw in a terminal too.
pub fn esc(s: &str) -> Cow<'_, str> {
    let html_space = |c: char| matches!(c, '\n' | '\t');
    let unsafe_char = |c: char| crate::textsafe::is_unsafe(c) && !html_space(c);
    if !s.contains(['&', '<', '>', '"', '\'']) && !s.contains(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if unsafe_char(c) => crate::textsafe::push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

const STYLE: &str = r#"
:root { color-scheme: light; --line: #d0d4d9; --muted: #5f6b76; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d232a; background: #f6f7f9; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-top: 8px; border-top: 1px solid var(--line); }
.sub, .note { color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0; }
.card { background: #fff; border: 1px solid var(--line); border-left: 6px solid #222; border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.card .n { font-size: 26px; font-weight: 650; display: block; }
.card.critical { border-left-color: #a4161a; } .card.high { border-left-color: #e85d04; }
.card.medium { border-left-color: #c9a000; } .card.low { border-left-color: #3a6ea5; }
.card.info, .card.waived { border-left-color: #6c757d; }
.warn { background: #fff3cd; border: 1px solid #e0b400; padding: 8px 12px; border-radius: 6px; }
table { border-collapse: collapse; background: #fff; margin: 8px 0 4px; width: 100%; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eceff3; }
table.compact { width: auto; min-width: 380px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.msg { max-width: 460px; overflow-wrap: anywhere; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.badge { display: inline-block; min-width: 72px; text-align: center; color: #fff; border-radius: 4px; padding: 0 6px; font-size: 12px; font-weight: 600; }
.b-CRITICAL { background: #a4161a; } .b-HIGH { background: #e85d04; } .b-MEDIUM { background: #c9a000; color: #111; }
.b-LOW { background: #3a6ea5; } .b-INFO { background: #6c757d; }
tr.expired td { background: #fde2e1; } tr.soon td { background: #fff3cd; }
tr.st-waived td, tr.st-fixed td { color: var(--muted); }
.side { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.side > * { flex: 1 1 340px; }
svg.chart { max-width: 100%; height: auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; font-size: 12px; }
svg.chart text { fill: #1d232a; }
svg.chart .grid { stroke: #e3e6ea; }
input[type=search] { margin: 8px 0; padding: 6px 8px; width: 320px; max-width: 100%; }
th[aria-sort=ascending]::after { content: " \25B2"; } th[aria-sort=descending]::after { content: " \25BC"; }
footer { padding: 24px 20px 40px; }
@media print { body { background: #fff; } input { display: none; } }
"#;

/// Progressive enhancement only: click a column header to sort, type to filter findings.
const SCRIPT: &str = r#"
(function () {
  function key(td) {
    var v = td.getAttribute('data-v');
    if (v !== null) return parseFloat(v);
    var t = td.textContent.trim();
    return /^-?\d+(\.\d+)?$/.test(t) ? parseFloat(t) : t.toLowerCase();
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      function sort() {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col]), y = key(b.cells[col]);
          if (typeof x !== typeof y) { x = String(x); y = String(y); }
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.tabIndex = 0;
      th.title = 'Sort by this column';
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter') sort(); });
    });
  });
  var table = document.getElementById('findings-table');
  if (table) {
    var input = document.createElement('input');
    input.type = 'search';
    input.placeholder = 'Filter findings (rule, file, resource, message…)';
    input.setAttribute('aria-label', 'Filter findings');
    input.addEventListener('input', function () {
      var q = input.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        r.hidden = q !== '' && r.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
    table.parentNode.insertBefore(input, table);
  }
})();
"#;

/// The whole page.
pub fn render(s: &Summary) -> String {
    let mut out = String::with_capacity(64 * 1024 + s.items.len() * 600);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    let _ = writeln!(out, "<title>{}</title>", esc(&title(s)));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    header(&mut out, s);
    out.push_str("<main>\n");
    severity_section(&mut out, s);
    policy_and_drift(&mut out, s);
    rules_section(&mut out, s);
    group_section(
        &mut out,
        s,
        Dimension::Framework,
        "by-framework",
        "By policy framework",
        "A finding counts once in each framework its rule belongs to.",
    );
    group_section(
        &mut out,
        s,
        Dimension::Repository,
        "by-repository",
        "By repository",
        "Repositories are told apart by their analysis name (scan --category); see the list \
         of reports below for each one's description and commit.",
    );
    group_section(
        &mut out,
        s,
        Dimension::Cluster,
        "by-cluster",
        "By cluster",
        "None of these reports names a cluster: only findings of live scans carry one.",
    );
    group_section(
        &mut out,
        s,
        Dimension::Account,
        "by-account",
        "By cloud account",
        "None of these reports names a cloud account: only findings of live scans carry one.",
    );
    trend_section(&mut out, s);
    waivers_section(&mut out, s);
    findings_section(&mut out, s);
    notifications_section(&mut out, s);
    reports_section(&mut out, s);
    out.push_str("</main>\n");
    footer(&mut out);
    let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>");
    out
}

fn title(s: &Summary) -> String {
    match s.as_of {
        Some(d) => format!("Plumbline security report, {d}"),
        None => "Plumbline security report".to_string(),
    }
}

fn header(out: &mut String, s: &Summary) {
    let analyses: std::collections::BTreeSet<&str> = s
        .reports
        .iter()
        .map(|r| r.report.category.as_str())
        .collect();
    let current = s.roles.iter().filter(|r| **r == Role::Current).count();
    let _ = writeln!(
        out,
        "<header>\n<h1>Plumbline security report</h1>\n<p class=\"sub\">As of <strong \
         id=\"as-of\">{}</strong> · <span id=\"count-reports\">{}</span> report(s) of {} \
         analysis(es); the counts below are from the latest report of each analysis ({} \
         report(s)).</p>",
        s.as_of.map_or("no report".to_string(), |d| d.to_string()),
        s.reports.len(),
        analyses.len(),
        current
    );
    let incomplete: Vec<&str> = s
        .reports
        .iter()
        .zip(&s.roles)
        .filter(|(r, role)| **role == Role::Current && r.report.incomplete)
        .map(|(r, _)| r.report.source.as_str())
        .collect();
    if !incomplete.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"warn\" id=\"incomplete\"><strong>Incomplete:</strong> {} report(s) \
             could not process every file or policy ({}); their counts may be too low. See \
             “Scan problems”.</p>",
            incomplete.len(),
            esc(&incomplete.join(", "))
        );
    }
    out.push_str("<div class=\"cards\">\n");
    card(out, "open", "", "Open findings", s.open.total());
    for sev in Severity::DESCENDING {
        card(
            out,
            sev.as_str(),
            &sev.as_str().to_ascii_lowercase(),
            sev.as_str(),
            s.open.get(sev),
        );
    }
    card(out, "waived", "waived", "Waived", s.waived);
    if s.fixed > 0 {
        card(out, "fixed", "info", "Fixed (vs baseline)", s.fixed);
    }
    out.push_str("</div>\n</header>\n");
}

fn card(out: &mut String, id: &str, class: &str, label: &str, n: usize) {
    let _ = writeln!(
        out,
        "<div class=\"card {class}\"><span class=\"n\" id=\"count-{id}\">{n}</span>{label}</div>"
    );
}

fn section(out: &mut String, id: &str, heading: &str) {
    let _ = writeln!(out, "<section id=\"{id}\">\n<h2>{heading}</h2>");
}

fn badge(s: Severity) -> String {
    format!("<span class=\"badge b-{0}\">{0}</span>", s.as_str())
}

/// A severity cell that sorts by rank, not alphabetically.
fn severity_cell(s: Severity) -> String {
    format!("<td data-v=\"{}\">{}</td>", s as u8, badge(s))
}

fn severity_section(out: &mut String, s: &Summary) {
    section(out, "by-severity", "Open findings by severity");
    let rows: Vec<(String, Counts)> = Severity::DESCENDING
        .iter()
        .map(|sev| {
            let mut c = Counts::default();
            c.0[Severity::DESCENDING.iter().position(|x| x == sev).unwrap()] = s.open.get(*sev);
            (sev.as_str().to_string(), c)
        })
        .collect();
    out.push_str(&svg::bars("Open findings by severity", &rows));
    out.push_str("\n</section>\n");
}

fn policy_and_drift(out: &mut String, s: &Summary) {
    section(out, "policy-drift", "Policy and drift, side by side");
    let [(policy, policy_waived), (drift, drift_waived)] = s.policy_and_drift();
    out.push_str(
        "<p class=\"note\">Policy findings: declared state that breaks a rule. Drift \
         findings: live state that differs from what Git declares (rules <code>PL-DRIFT…</code>, \
         packages <code>plumbline.drift…</code>).</p>\n<table id=\"policy-drift-table\" class=\"compact\">\
         <thead><tr><th>Severity</th><th class=\"num\">Policy</th><th class=\"num\">Drift</th>\
         </tr></thead>\n<tbody>\n",
    );
    for sev in Severity::DESCENDING {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            badge(sev),
            policy.get(sev),
            drift.get(sev)
        );
    }
    let _ = writeln!(
        out,
        "<tr><th>Open</th><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n\
         <tr><th>Waived</th><td class=\"num\">{policy_waived}</td><td class=\"num\">\
         {drift_waived}</td></tr>\n</tbody></table>",
        policy.total(),
        drift.total()
    );
    if drift.total() + drift_waived == 0 {
        out.push_str(
            "<p class=\"note\">No drift findings: these reports come from scans of declared \
             state only.</p>\n",
        );
    }
    out.push_str("</section>\n");
}

fn counts_cells(out: &mut String, c: &Counts) {
    for sev in Severity::DESCENDING {
        let _ = write!(
            out,
            "<td class=\"num\" data-severity=\"{}\">{}</td>",
            sev.as_str(),
            c.get(sev)
        );
    }
    let _ = write!(out, "<td class=\"num\" data-total=\"\">{}</td>", c.total());
}

fn counts_head(out: &mut String, first: &[&str]) {
    out.push_str("<thead><tr>");
    for h in first {
        let _ = write!(out, "<th>{h}</th>");
    }
    for sev in Severity::DESCENDING {
        let _ = write!(out, "<th class=\"num\">{}</th>", sev.as_str());
    }
    out.push_str("<th class=\"num\">Open</th></tr></thead>\n");
}

fn rules_section(out: &mut String, s: &Summary) {
    section(out, "by-rule", "Top rules");
    let groups = s.group_open(Dimension::Rule);
    if groups.is_empty() {
        out.push_str("<p>No open findings.</p>\n</section>\n");
        return;
    }
    let top = &groups[..groups.len().min(summary::TOP_RULES)];
    let _ = writeln!(
        out,
        "<p class=\"note\">The {} rule(s) with the most open findings, of {} with any.</p>",
        top.len(),
        groups.len()
    );
    out.push_str(&svg::bars("Open findings by rule", top));
    out.push_str("\n<table class=\"sortable\">");
    counts_head(out, &["Rule", "Title", "Frameworks"]);
    out.push_str("<tbody>\n");
    for (id, counts) in top {
        let meta = s
            .items
            .iter()
            .find(|i| &i.finding.rule_id == id)
            .and_then(Item::rule);
        let (rule_title, frameworks) = meta.map_or((String::new(), String::new()), |m| {
            let names: Vec<String> = m
                .frameworks
                .iter()
                .map(|f| summary::framework_name(f))
                .collect();
            (m.title.clone(), names.join(", "))
        });
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td>",
            esc(id),
            esc(&rule_title),
            esc(&frameworks)
        );
        counts_cells(out, counts);
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n</section>\n");
}

fn group_section(
    out: &mut String,
    s: &Summary,
    dim: Dimension,
    id: &str,
    heading: &str,
    note: &str,
) {
    section(out, id, heading);
    let groups = s.group_open(dim);
    if groups.is_empty() {
        let none = if s.open.total() == 0 {
            "No open findings."
        } else {
            note
        };
        let _ = writeln!(out, "<p class=\"note\">{none}</p>\n</section>");
        return;
    }
    if matches!(dim, Dimension::Framework | Dimension::Repository) {
        let _ = writeln!(out, "<p class=\"note\">{note}</p>");
    }
    out.push_str(&svg::bars(heading, &groups));
    out.push_str("\n<table class=\"sortable\">");
    counts_head(out, &["Name"]);
    out.push_str("<tbody>\n");
    for (name, counts) in &groups {
        let _ = write!(out, "<tr><td>{}</td>", esc(name));
        counts_cells(out, counts);
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n</section>\n");
}

fn trend_section(out: &mut String, s: &Summary) {
    section(out, "trend", "Trend over time");
    out.push_str(
        "<p class=\"note\">Open findings in the reports of each date: every analysis's \
         latest report of that day, not only the latest of each analysis.</p>\n",
    );
    if s.trend.len() > 1 {
        out.push_str(&svg::trend("Open findings per report date", &s.trend));
    } else {
        out.push_str(
            "<p>Reports of one date only: give reports of several dates (for instance scans \
             of successive commits) to see a trend.</p>\n",
        );
    }
    out.push_str("\n<table id=\"trend-table\" class=\"sortable\">");
    counts_head(out, &["Date"]);
    out.push_str("<tbody>\n");
    for (date, counts) in &s.trend {
        let _ = write!(out, "<tr data-date=\"{date}\"><td>{date}</td>");
        counts_cells(out, counts);
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n</section>\n");
}

fn location(f: &Finding) -> String {
    if f.file.is_empty() {
        match &f.live {
            Some(live) => format!("<code>{}</code> (live, not in Git)", esc(live)),
            None => "—".to_string(),
        }
    } else {
        format!("<code>{}:{}</code>", esc(&f.file), f.region.start.line)
    }
}

fn resource(f: &Finding) -> String {
    match &f.resource {
        Some(r) => {
            let ns = r
                .namespace
                .as_deref()
                .map_or(String::new(), |n| format!("{n}/"));
            format!(
                "<span title=\"{}\">{} {}{}</span>",
                esc(&r.to_string()),
                esc(&r.kind),
                esc(&ns),
                esc(&r.name)
            )
        }
        None => match &f.subject {
            Some(s) => format!(
                "<span title=\"{}\">{}</span>",
                esc(&s.via.join(" → ")),
                esc(&s.address)
            ),
            None => String::new(),
        },
    }
}

fn waivers_section(out: &mut String, s: &Summary) {
    section(out, "waivers", "Waivers");
    let waivers = s.waivers();
    if waivers.is_empty() {
        out.push_str("<p>No finding is waived.</p>\n</section>\n");
        return;
    }
    let expired = waivers
        .iter()
        .filter(|w| matches!(w.expiry, Expiry::Expired(_)))
        .count();
    let soon = waivers
        .iter()
        .filter(|w| matches!(w.expiry, Expiry::Soon(_)))
        .count();
    let _ = writeln!(
        out,
        "<p class=\"note\"><span id=\"count-waivers\">{}</span> waiver(s) on {} finding(s); \
         <span id=\"count-expired\">{expired}</span> expired and <span \
         id=\"count-expiring\">{soon}</span> expiring within {} days of their report's \
         date.</p>",
        waivers.len(),
        s.waived,
        summary::EXPIRY_WARNING_DAYS
    );
    out.push_str(
        "<table id=\"waivers-table\" class=\"sortable\"><thead><tr><th>Severity</th>\
         <th>Rule</th><th>Resource</th><th>Location</th><th>Justification</th><th>Owner</th>\
         <th>Expires</th><th>Status</th><th>Waiver</th></tr></thead>\n<tbody>\n",
    );
    for w in &waivers {
        let f = w.item.finding;
        let (class, status) = match w.expiry {
            Expiry::Expired(d) => ("expired", format!("expired {d} day(s) ago")),
            Expiry::Soon(d) => ("soon", format!("expires in {d} day(s)")),
            Expiry::Valid(d) => ("", format!("valid, {d} days left")),
            Expiry::None => ("", "no expiry".to_string()),
            Expiry::Unreadable => ("soon", "expiry is not a YYYY-MM-DD date".to_string()),
        };
        let sup = w.suppression;
        let _ = writeln!(
            out,
            "<tr class=\"{class}\">{}<td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{status}</td><td>{}</td></tr>",
            severity_cell(f.severity),
            esc(&f.rule_id),
            resource(f),
            location(f),
            esc(&sup.justification),
            esc(sup.owner.as_deref().unwrap_or("")),
            esc(sup.expires.as_deref().unwrap_or("")),
            esc(sup.location.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

fn findings_section(out: &mut String, s: &Summary) {
    section(out, "findings", "Findings");
    let repos: std::collections::BTreeSet<String> = s
        .items
        .iter()
        .map(|i| summary::repository(&i.report.report))
        .collect();
    let with_repo = repos.len() > 1;
    let _ = writeln!(
        out,
        "<p class=\"note\"><span id=\"count-findings\">{}</span> finding(s) in the latest \
         reports, most severe first: open, waived{}.</p>",
        s.items.len(),
        if s.fixed > 0 {
            " and fixed (absent from the baseline)"
        } else {
            ""
        }
    );
    if s.items.is_empty() {
        out.push_str("</section>\n");
        return;
    }
    out.push_str(
        "<table id=\"findings-table\" class=\"sortable\"><thead><tr><th>Severity</th>\
         <th>Rule</th><th>Location</th><th>Resource</th><th>Message</th><th>Status</th>",
    );
    if with_repo {
        out.push_str("<th>Repository</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for i in &s.items {
        let f = i.finding;
        let status = match (i.status, f.baseline_state) {
            (Status::Open, Some(b)) => format!("open ({})", b.as_str()),
            (st, _) => st.as_str().to_string(),
        };
        let _ = write!(
            out,
            "<tr class=\"st-{}\">{}<td><code>{}</code></td><td>{}</td><td>{}</td>\
             <td class=\"msg\">{}</td><td>{status}</td>",
            i.status.as_str(),
            severity_cell(f.severity),
            esc(&f.rule_id),
            location(f),
            resource(f),
            esc(&f.message)
        );
        if with_repo {
            let _ = write!(
                out,
                "<td>{}</td>",
                esc(&summary::repository(&i.report.report))
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n</section>\n");
}

fn notifications_section(out: &mut String, s: &Summary) {
    let notes: Vec<_> = s
        .reports
        .iter()
        .zip(&s.roles)
        .filter(|(_, role)| **role == Role::Current)
        .flat_map(|(r, _)| r.report.notifications.iter().map(move |n| (r, n)))
        .collect();
    if notes.is_empty() {
        return;
    }
    section(out, "problems", "Scan problems");
    out.push_str(
        "<p class=\"note\">What the scans could not process (errors make a scan incomplete) \
         or processed with a caveat.</p>\n<table class=\"sortable\"><thead><tr><th>Level</th>\
         <th>Code</th><th>File</th><th>Message</th><th>Report</th></tr></thead>\n<tbody>\n",
    );
    for (r, n) in notes {
        let file = match (&n.file, n.position) {
            (Some(f), Some(p)) => format!("<code>{}:{}</code>", esc(f), p.line),
            (Some(f), None) => format!("<code>{}</code>", esc(f)),
            _ => String::new(),
        };
        let level = serde_json::to_value(n.level)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{file}</td><td class=\"msg\">{}</td><td>{}</td></tr>",
            esc(&level),
            esc(&n.code),
            esc(&n.message),
            esc(&r.report.source)
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

fn reports_section(out: &mut String, s: &Summary) {
    section(out, "reports", "Reports");
    out.push_str(
        "<table id=\"reports-table\" class=\"sortable\"><thead><tr><th>File</th><th>Tool</th>\
         <th>Analysis</th><th>Target</th><th>Commit</th><th>Date</th><th>Date from</th>\
         <th class=\"num\">Findings</th><th>Shown</th></tr></thead>\n<tbody>\n",
    );
    for (r, role) in s.reports.iter().zip(&s.roles) {
        let rep = &r.report;
        let tool = format!("{} {}", rep.tool, rep.tool_version);
        let commit = rep.commit.as_deref().unwrap_or("");
        let short: String = commit.chars().take(12).collect();
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>\
             <td><code title=\"{}\">{}</code></td><td>{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td>{}</td></tr>",
            esc(&rep.source),
            esc(tool.trim()),
            esc(&rep.category),
            esc(&rep.description),
            esc(commit),
            esc(&short),
            r.date,
            r.date_source.describe(),
            rep.findings.len(),
            role.describe()
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

fn footer(out: &mut String) {
    out.push_str(
        "<footer class=\"note\">\n<p><strong>Reading this report.</strong> A report's date is \
         the end of its analysis (SARIF <code>endTimeUtc</code>, written by other tools), else \
         the committer time of the scanned commit (<code>commitTime</code>), else the date \
         given with <code>--date FILE=YYYY-MM-DD</code>, else the report file's modification \
         time (UTC days). Counts are of open findings (not waived, not fixed) in the latest \
         report of each analysis; waiver expiries are measured from their report's date. The \
         page was written by <code>plumbline report</code>: it loads nothing from anywhere and \
         carries no time of its own, so the same reports give the same page.</p>\n</footer>\n",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(esc("plain"), "plain");
        assert_eq!(
            esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }

    #[test]
    fn shows_controls_and_bidi_overrides_as_escapes() {
        assert_eq!(
            esc("a\x1b[2K\u{202e}<b>\u{9b}\r\nc"),
            "a\\x1b[2K\\u{202e}&lt;b&gt;\\u{9b}\\r\nc"
        );
    }
}
