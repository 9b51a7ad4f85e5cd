//! `msi-hub import FILE`: a CSV of reports into the database, as the OEM, with a progress
//! bar, every row's outcome in a file beside it and the refused rows in another, fixed
//! and imported again.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use msi_hub::app::{App, ImportMode, ImportOptions, ImportSummary};
use msi_hub::auth::{Principal, Role};
use msi_hub::files::report_csv::is_workbook;
use msi_hub::files::{RejectedRows, ReportRows};

/// What `msi-hub import` was asked.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The CSV file: a header of field codes as in the schema (`working_days` or
    /// `workingDays`) with `dealer_code` and `month`, one row per dealer and month; UTF-8
    /// (with or without BOM) or GBK / GB18030.
    pub file: PathBuf,
    /// Store the rows as drafts or as submissions.
    #[arg(long = "as", value_enum, default_value_t = ModeArg::Submit)]
    pub mode: ModeArg,
    /// Amend submitted reports whose figures differ (with --reason); without it those
    /// rows are conflicts.
    #[arg(long, requires = "reason")]
    pub amend: bool,
    /// The amendment's reason, kept with every revision it makes.
    #[arg(long, requires = "amend")]
    pub reason: Option<String>,
    /// Check every row and say what would happen; store nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Text encoding, e.g. gbk (default: UTF-8 when the file starts as UTF-8, else GB18030).
    #[arg(long)]
    pub encoding: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ModeArg {
    Draft,
    Submit,
}

/// `FILE.suffix.csv` beside `file`.
fn beside(file: &Path, suffix: &str) -> PathBuf {
    let stem = file
        .file_stem()
        .map_or("import".into(), |s| s.to_string_lossy().into_owned());
    file.with_file_name(format!("{stem}.{suffix}.csv"))
}

/// Runs the import and prints its summary and where the outcome files are.
pub async fn run(app: &std::sync::Arc<App>, args: ImportArgs) -> anyhow::Result<ImportSummary> {
    let encoding = match &args.encoding {
        None => None,
        Some(label) => Some(
            encoding_rs::Encoding::for_label(label.as_bytes())
                .with_context(|| format!("unknown encoding `{label}` (try utf-8 or gbk)"))?,
        ),
    };
    let mut file =
        File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let mut head = [0u8; 4];
    let n = file.read(&mut head)?;
    file.seek(SeekFrom::Start(0))?;
    if is_workbook(&head[..n]) {
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let rows = ReportRows::open_workbook(&bytes)
            .with_context(|| format!("{} is not a workbook of report rows", args.file.display()))?;
        let total = rows.len_hint().unwrap_or(1);
        return run_rows(app, &args, rows, total).await;
    }
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let rows = ReportRows::open(file, encoding)
        .with_context(|| format!("{} is not a report CSV", args.file.display()))?;
    run_rows(app, &args, rows, size).await
}

/// Imports `rows`; `size` is what their progress counts up to (bytes of a CSV, rows of a
/// workbook).
async fn run_rows<R: Read + Send>(
    app: &std::sync::Arc<App>,
    args: &ImportArgs,
    mut rows: ReportRows<R>,
    size: u64,
) -> anyhow::Result<ImportSummary> {
    let outcomes_path = beside(&args.file, "outcomes");
    let rejected_path = beside(&args.file, "rejected");
    let mut outcomes = csv::Writer::from_writer(BufWriter::new(
        File::create(&outcomes_path)
            .with_context(|| format!("cannot write {}", outcomes_path.display()))?,
    ));
    outcomes.write_record([
        "line",
        "dealer_code",
        "month",
        "outcome",
        "revision",
        "violations",
    ])?;
    let mut rejected = RejectedRows::new(
        BufWriter::new(
            File::create(&rejected_path)
                .with_context(|| format!("cannot write {}", rejected_path.display()))?,
        ),
        &rows.header,
    )?;
    let bar = ProgressBar::new(size.max(1));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {percent}% {msg} (eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let options = ImportOptions {
        mode: match args.mode {
            ModeArg::Draft => ImportMode::Draft,
            ModeArg::Submit => ImportMode::Submit,
        },
        amend_reason: args.reason.clone().filter(|_| args.amend),
        dry_run: args.dry_run,
    };
    let who = Principal {
        sub: format!(
            "import:{}",
            args.file
                .file_name()
                .map_or("file".into(), |s| s.to_string_lossy())
        ),
        role: Role::OemAdmin,
        regions: vec![],
        dealer: None,
    };
    let mut write_error: Option<anyhow::Error> = None;
    let mut done = 0u64;
    let summary = app
        .import_reports(&who, &mut rows, &options, |row, result, position| {
            done += 1;
            bar.set_position(position.min(size));
            bar.set_message(format!("{done} rows"));
            let violations: Vec<String> = result.violations.iter().map(|v| v.describe()).collect();
            let written = outcomes
                .write_record([
                    result.line.to_string(),
                    result.dealer_code.clone(),
                    result.month.map(|m| m.to_string()).unwrap_or_default(),
                    result.outcome.code().to_string(),
                    result.revision.map(|r| r.to_string()).unwrap_or_default(),
                    violations.join("; "),
                ])
                .map_err(anyhow::Error::from)
                .and_then(|_| {
                    if result.outcome.is_refused() {
                        rejected.push(&row.cells, result.line, &result.reason())?;
                    }
                    Ok(())
                });
            if let (Err(e), None) = (written, &write_error) {
                write_error = Some(e);
            }
        })
        .await;
    bar.finish_and_clear();
    let summary = summary?;
    if let Some(e) = write_error {
        return Err(e.context("writing the outcome files"));
    }
    outcomes.flush()?;
    rejected.finish()?.flush()?;
    if summary.rejected + summary.conflict == 0 {
        let _ = std::fs::remove_file(&rejected_path);
    }
    println!(
        "{} rows: {} accepted, {} accepted with warnings, {} amended, {} drafts saved, {} unchanged, {} rejected, {} conflicts{}",
        summary.rows,
        summary.accepted,
        summary.accepted_with_warnings,
        summary.amended,
        summary.draft_saved,
        summary.unchanged,
        summary.rejected,
        summary.conflict,
        if args.dry_run { " (dry run: nothing stored)" } else { "" }
    );
    println!("every row's outcome: {}", outcomes_path.display());
    if summary.rejected + summary.conflict > 0 {
        println!(
            "refused rows, with a reason column, to fix and import again: {}",
            rejected_path.display()
        );
    }
    Ok(summary)
}
