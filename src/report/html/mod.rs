//! `plumbline report`: one self-contained HTML page for a security team, built from any number
//! of JSON and SARIF reports (read with [`super::read`]).
//!
//! The page loads nothing: CSS, SVG charts and the optional sorting/filtering script are
//! inline, and a Content-Security-Policy forbids every external load. It is deterministic: the
//! same reports (with the same dates) give the same bytes — it shows the reports' dates, never
//! the time it was generated.
//!
//! - [`load`]: reads the files and gives each report its date ([`DateSource`]).
//! - [`summary`]: what the page shows — the latest report of each analysis, counts, groupings,
//!   waivers, the trend over dates.
//! - [`page`] and [`svg`]: the HTML and the charts.

pub mod page;
pub mod summary;
pub mod svg;

use super::read::{self, LoadedReport};
use crate::date::Date;
use std::path::{Path, PathBuf};

/// One analysis with the day it describes.
#[derive(Debug, Clone)]
pub struct DatedReport {
    pub report: LoadedReport,
    pub date: Date,
    pub date_source: DateSource,
    /// The full time the date comes from (ISO 8601), when there is one: orders two reports
    /// of the same analysis on the same day.
    pub time: Option<String>,
}

/// Where a report's date comes from, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DateSource {
    /// `--date FILE=YYYY-MM-DD` on the command line.
    Override,
    /// SARIF `invocations[0].endTimeUtc` (other tools write it; plumbline does not).
    EndTime,
    /// The scanned commit's committer time (`commitTime`).
    CommitTime,
    /// The report file's modification time (UTC day).
    FileModified,
}

impl DateSource {
    pub fn describe(self) -> &'static str {
        match self {
            Self::EndTime => "end of the analysis (endTimeUtc)",
            Self::CommitTime => "commit time",
            Self::Override => "--date",
            Self::FileModified => "file modification time",
        }
    }
}

/// A `--date FILE=YYYY-MM-DD` override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateOverride {
    pub file: PathBuf,
    pub date: Date,
}

impl std::str::FromStr for DateOverride {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (file, date) = s.rsplit_once('=').ok_or_else(|| {
            format!("--date {s:?}: give FILE=YYYY-MM-DD, e.g. --date scan.json=2024-05-01")
        })?;
        let date = Date::parse(date)
            .filter(|_| date.trim().len() == 10)
            .ok_or_else(|| {
                format!("--date {s:?}: {date:?} is not a date: give YYYY-MM-DD, e.g. 2024-05-01")
            })?;
        Ok(Self {
            file: PathBuf::from(file),
            date,
        })
    }
}

/// The dated reports [`load`] read.
#[derive(Debug, Default)]
pub struct Loaded {
    pub reports: Vec<DatedReport>,
}

/// Reads every file (a SARIF file may hold several analyses) and dates each analysis: the
/// `--date` given for its file, else SARIF `endTimeUtc`, else `commitTime`, else the file's
/// modification time. Fails on the first file that cannot be read, naming it.
pub fn load(files: &[PathBuf], overrides: &[DateOverride]) -> Result<Loaded, String> {
    let mut out = Loaded::default();
    let mut used = vec![false; overrides.len()];
    for file in files {
        let analyses = read::read(file)?;
        let given = overrides
            .iter()
            .enumerate()
            .find(|(_, o)| same_file(&o.file, file));
        if let Some((i, _)) = given {
            used[i] = true;
        }
        for report in analyses {
            let own = own_date(&report);
            // An explicit --date wins: the user knows when the report was made better than
            // any field in it.
            let (date, date_source, time) = match (own, given) {
                (_, Some((_, o))) => (o.date, DateSource::Override, None),
                (Some((d, src, t)), None) => (d, src, Some(t)),
                (None, None) => {
                    let secs = modified_time(file)?;
                    let time = crate::date::iso8601_utc(secs);
                    (Date::from_unix(secs), DateSource::FileModified, Some(time))
                }
            };
            out.reports.push(DatedReport {
                report,
                date,
                date_source,
                time,
            });
        }
    }
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(format!(
            "--date names {}, which is not one of the reports given: name the file as on the \
             command line",
            overrides[i].file.display()
        ));
    }
    Ok(out)
}

/// The date a report carries itself, if any.
fn own_date(r: &LoadedReport) -> Option<(Date, DateSource, String)> {
    let dated = |t: &Option<String>, src| {
        let t = t.as_deref()?;
        Some((Date::parse(t)?, src, t.trim().to_string()))
    };
    dated(&r.end_time, DateSource::EndTime)
        .or_else(|| dated(&r.commit_time, DateSource::CommitTime))
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
}

/// The file's modification time, seconds since the Unix epoch.
fn modified_time(file: &Path) -> Result<i64, String> {
    let modified = std::fs::metadata(file)
        .and_then(|m| m.modified())
        .map_err(|e| {
            format!(
                "{}: the report has no date and its modification time cannot be read ({e}): \
                 give one with --date {}=YYYY-MM-DD",
                file.display(),
                file.display()
            )
        })?;
    Ok(match modified.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    })
}

/// The HTML page for these reports.
pub fn render(reports: &[DatedReport]) -> String {
    page::render(&summary::summarize(reports))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_overrides_parse() {
        let o: DateOverride = "out/a=b.json=2024-05-01".parse().unwrap();
        assert_eq!(o.file, PathBuf::from("out/a=b.json"));
        assert_eq!(o.date.to_string(), "2024-05-01");
        assert!("a.json".parse::<DateOverride>().is_err());
        assert!("a.json=2024-05-01T00:00:00Z"
            .parse::<DateOverride>()
            .is_err());
        assert!("a.json=yesterday".parse::<DateOverride>().is_err());
    }
}
