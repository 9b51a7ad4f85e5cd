//! The meeting pack as a workbook (one sheet per table) and as CSV (one table per file):
//! Chinese headers with English beside them, number formats, frozen headers, autofilter,
//! the KPI overview coloured by guideline band and national quartile.

use std::collections::BTreeMap;

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::app::{MeetingPack, RankingView};
use crate::domain::kpi::GuidelineStatus;
use crate::store::ReportStatus;

/// The tables of a pack, as `?table=` names them.
pub const TABLES: [&str; 4] = ["status", "overview", "rankings", "actions"];

type Table = (Vec<&'static str>, Vec<Vec<Cell>>);

/// One cell of a table.
#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A KPI value, with what colours it.
    Kpi {
        value: f64,
        guideline: Option<GuidelineStatus>,
        percentile: f64,
    },
    Empty,
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn opt(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Number)
}

fn status_code(s: Option<ReportStatus>) -> &'static str {
    match s {
        None => "MISSING",
        Some(ReportStatus::Draft) => "DRAFT",
        Some(ReportStatus::Accepted) => "ACCEPTED",
        Some(ReportStatus::AcceptedWithWarnings) => "ACCEPTED_WITH_WARNINGS",
    }
}

fn status(p: &MeetingPack) -> Table {
    let header = vec![
        "经销商 Dealer",
        "名称 Name",
        "区域 Region",
        "状态 Status",
        "版本 Revision",
        "迟交 Late",
    ];
    let rows = p
        .status
        .rows
        .iter()
        .map(|r| {
            vec![
                text(&r.dealer_code),
                text(&r.dealer_name),
                text(r.region_code.clone().unwrap_or_default()),
                text(status_code(r.status)),
                Cell::Number(f64::from(r.revision)),
                text(if r.late { "LATE" } else { "" }),
            ]
        })
        .collect();
    (header, rows)
}

fn overview(p: &MeetingPack) -> (Vec<String>, Vec<Vec<Cell>>) {
    let mut header = vec!["经销商 Dealer".to_string(), "名称 Name".to_string()];
    header.extend(
        p.rankings
            .iter()
            .map(|r| format!("{} {}", r.kpi.zh, r.kpi.en)),
    );
    let mut by_dealer: BTreeMap<String, (String, Vec<Cell>)> = BTreeMap::new();
    for (k, r) in p.rankings.iter().enumerate() {
        for l in &r.lines {
            let e = by_dealer
                .entry(l.dealer_code.clone())
                .or_insert_with(|| (l.dealer_name.clone(), vec![Cell::Empty; p.rankings.len()]));
            e.1[k] = Cell::Kpi {
                value: l.value,
                guideline: r.kpi.guideline.map(|g| g.status(l.value)),
                percentile: l.percentile,
            };
        }
    }
    let rows = by_dealer
        .into_iter()
        .map(|(code, (name, cells))| {
            let mut row = vec![text(code), text(name)];
            row.extend(cells);
            row
        })
        .collect();
    (header, rows)
}

fn ranking_rows(r: &RankingView) -> Vec<Vec<Cell>> {
    r.lines
        .iter()
        .map(|l| {
            vec![
                text(r.kpi.code),
                Cell::Number(l.rank as f64),
                text(&l.dealer_code),
                text(&l.dealer_name),
                text(l.region_code.clone().unwrap_or_default()),
                Cell::Number(l.value),
                Cell::Number(l.percentile),
                opt(l.delta_to_region),
                opt(l.delta_to_nation),
            ]
        })
        .collect()
}

const RANKING_HEADER: [&str; 9] = [
    "指标 KPI",
    "排名 Rank",
    "经销商 Dealer",
    "名称 Name",
    "区域 Region",
    "值 Value",
    "百分位 Percentile",
    "与区域差 Δ region",
    "与全国差 Δ nation",
];

fn actions(p: &MeetingPack) -> Table {
    let header = vec![
        "编号 Id",
        "经销商 Dealer",
        "对象 Subject",
        "状态 Status",
        "到期 Due",
        "责任人 Owner",
        "责任部门 Department",
        "现状 Problem",
        "改进措施 Countermeasure",
    ];
    let rows = p
        .actions
        .iter()
        .map(|a| {
            vec![
                Cell::Number(a.id as f64),
                text(&a.dealer_code),
                text(&a.subject),
                text(a.state.status.code()),
                text(a.state.due_month.to_string()),
                text(&a.state.owner),
                text(&a.state.department),
                text(&a.state.problem),
                text(&a.state.countermeasure),
            ]
        })
        .collect();
    (header, rows)
}

/// One table of the pack as CSV (UTF-8 with a byte-order mark, which Excel reads as such).
pub fn csv(p: &MeetingPack, table: &str) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer("\u{feff}".as_bytes().to_vec());
    let plain = |c: &Cell| match c {
        Cell::Text(s) => s.clone(),
        Cell::Number(n) | Cell::Kpi { value: n, .. } => n.to_string(),
        Cell::Empty => String::new(),
    };
    let (header, rows): (Vec<String>, Vec<Vec<Cell>>) = match table {
        "status" => {
            let (h, r) = status(p);
            (h.into_iter().map(String::from).collect(), r)
        }
        "overview" => overview(p),
        "rankings" => (
            RANKING_HEADER.iter().map(|s| s.to_string()).collect(),
            p.rankings.iter().flat_map(ranking_rows).collect(),
        ),
        _ => {
            let (h, r) = actions(p);
            (h.into_iter().map(String::from).collect(), r)
        }
    };
    w.write_record(&header)?;
    for r in &rows {
        w.write_record(r.iter().map(plain))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

fn put(ws: &mut Worksheet, row: u32, col: u16, c: &Cell) -> Result<(), XlsxError> {
    let decimals = Format::new().set_num_format("#,##0.00");
    match c {
        Cell::Text(s) => {
            ws.write_string(row, col, s)?;
        }
        Cell::Number(n) => {
            ws.write_number(row, col, *n)?;
        }
        Cell::Kpi {
            value,
            guideline,
            percentile,
        } => {
            // Bottom quartile red, top quartile green; outside the guideline, orange text.
            let mut f = decimals.clone().set_border(FormatBorder::Thin);
            if *percentile < 25.0 {
                f = f.set_background_color(Color::RGB(0xF8CBAD));
            } else if *percentile > 75.0 {
                f = f.set_background_color(Color::RGB(0xC6EFCE));
            }
            if matches!(
                guideline,
                Some(GuidelineStatus::Below | GuidelineStatus::Above)
            ) {
                f = f.set_font_color(Color::RGB(0xC65911)).set_bold();
            }
            ws.write_number_with_format(row, col, *value, &f)?;
        }
        Cell::Empty => {}
    }
    Ok(())
}

fn sheet(
    book: &mut Workbook,
    name: &str,
    title: &str,
    header: &[String],
    rows: &[Vec<Cell>],
) -> Result<(), XlsxError> {
    let ws = book.add_worksheet();
    ws.set_name(name)?;
    let bold = Format::new().set_bold();
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xD9D9D9))
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    ws.write_string_with_format(0, 0, title, &bold)?;
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, h, &head)?;
        ws.set_column_width(c as u16, 16)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            put(ws, 2 + r as u32, c as u16, cell)?;
        }
    }
    ws.set_freeze_panes(2, 0)?;
    if !header.is_empty() {
        ws.autofilter(1, 0, 1 + rows.len() as u32, header.len() as u16 - 1)?;
    }
    Ok(())
}

/// The whole pack as a workbook: status, overview, one sheet per ranking, actions.
pub fn workbook(p: &MeetingPack) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let strings = |h: Vec<&'static str>| h.into_iter().map(String::from).collect::<Vec<_>>();
    let c = &p.status.counts;
    let (h, rows) = status(p);
    sheet(
        &mut book,
        "Status",
        &format!(
            "{} {} — 提交状态 submission status: {} dealers, {} missing, {} drafts, {} late",
            p.scope, p.month, c.total, c.missing, c.draft, c.late
        ),
        &strings(h),
        &rows,
    )?;
    let (h, rows) = overview(p);
    sheet(
        &mut book,
        "Overview",
        &format!(
            "{} {} — 关键指标 key KPIs (red: national bottom quartile, green: top quartile, orange: outside the guideline)",
            p.scope, p.month
        ),
        &h,
        &rows,
    )?;
    for r in &p.rankings {
        let pooled = |v: Option<f64>| v.map_or("withheld".to_string(), |x| format!("{x:.2}"));
        sheet(
            &mut book,
            &format!("Rank {}", truncate(r.kpi.code, 25)),
            &format!(
                "{} {} {} — {} pooled {} · nation pooled {}",
                r.kpi.zh,
                r.kpi.en,
                p.month,
                p.scope,
                pooled(r.aggregate.pooled()),
                pooled(r.nation.pooled())
            ),
            &strings(RANKING_HEADER.to_vec()),
            &ranking_rows(r),
        )?;
    }
    let (h, rows) = actions(p);
    sheet(
        &mut book,
        "Actions",
        &format!("{} — 未关闭的行动项 open action items", p.scope),
        &strings(h),
        &rows,
    )?;
    book.save_to_buffer()
}

/// A sheet name is at most 31 characters.
fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
