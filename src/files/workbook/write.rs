//! Writing the report workbook.

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationRule, Format, FormatAlign, FormatBorder, Formula, Note,
    Workbook, Worksheet, XlsxError,
};

use super::{
    CODE_COL, DEALER_ROW, FIRST_ROW, FORM_VERSION, LAST_COL, MONTH_ROW, REVISION_ROW, RULE_COL,
    SHEET, VALUE_COL, VERSION_ROW,
};
use crate::domain::fields::english;
use crate::domain::report::display_value;
use crate::domain::report::TOTALS;
use crate::domain::{Field, FieldKind, Month, Section, Values, FIELDS};

/// What goes into a report workbook.
pub struct ReportSheet<'a> {
    pub dealer_code: &'a str,
    pub dealer_name: &'a str,
    /// `None`: the blank template.
    pub month: Option<Month>,
    /// The report's revision (0: a draft), `None` for a month not started.
    pub revision: Option<i32>,
    pub values: Option<&'a Values>,
    pub last_month: Option<&'a Values>,
}

/// The rule of a field's cell, in both languages.
pub fn rule_text(field: Field, month: Option<Month>) -> String {
    if field == Field::working_days {
        let days = month.map_or(31, |m| m.days());
        return format!("整数 1–{days}（本月天数）/ whole number, 1–{days} (days of the month)");
    }
    match field.kind() {
        FieldKind::Count => "整数，≥ 0 / whole number, at least 0".into(),
        FieldKind::Money => "金额（元），≥ 0，两位小数 / yuan, at least 0, two decimals".into(),
        FieldKind::Hours => "工时，≥ 0，两位小数 / hours, at least 0, two decimals".into(),
        FieldKind::Profit => {
            "金额（元），可为负，两位小数 / yuan, may be negative, two decimals".into()
        }
        FieldKind::Score => "0–100，两位小数，可不填 / 0–100, two decimals, optional".into(),
    }
}

fn validation(field: Field, month: Option<Month>) -> Result<DataValidation, XlsxError> {
    let v = DataValidation::new();
    let v = if field == Field::working_days {
        let days = month.map_or(31, |m| m.days() as i32);
        v.allow_whole_number(DataValidationRule::Between(1, days))
    } else {
        match field.kind() {
            FieldKind::Count => v.allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0)),
            FieldKind::Money | FieldKind::Hours => {
                v.allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
            }
            FieldKind::Profit => v.allow_decimal_number(DataValidationRule::Between(
                -1_000_000_000_000.0,
                1_000_000_000_000.0,
            )),
            FieldKind::Score => v.allow_decimal_number(DataValidationRule::Between(0.0, 100.0)),
        }
    };
    v.set_error_title("MSI")?
        .set_error_message(rule_text(field, month))
}

fn number_format(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Count => "#,##0",
        _ => "#,##0.00",
    }
}

fn value_of(values: Option<&Values>, field: Field) -> Option<f64> {
    let stored = values?.get(field)?;
    display_value(field.kind(), stored).parse().ok()
}

/// The workbook's bytes.
pub fn write(sheet: &ReportSheet) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(SHEET)?;
    fill(ws, sheet)?;
    book.save_to_buffer()
}

fn fill(ws: &mut Worksheet, s: &ReportSheet) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xD9D9D9))
        .set_border(FormatBorder::Thin);
    let section = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xF2F2F2));
    let note_fmt = Format::new().set_font_color(Color::RGB(0x595959));
    ws.set_column_width(0, 30)?;
    ws.set_column_width(1, 20)?;
    ws.set_column_width(2, 32)?;
    ws.set_column_width(3, 16)?;
    ws.set_column_width(4, 16)?;
    ws.set_column_width(5, 60)?;
    ws.write_string_with_format(0, 0, "MSI 月报 / MSI monthly report", &title)?;
    for (row, label, value) in [
        (DEALER_ROW, "经销商 / Dealer", s.dealer_code.to_string()),
        (
            MONTH_ROW,
            "月份 / Month",
            s.month.map_or(String::new(), |m| m.to_string()),
        ),
        (
            REVISION_ROW,
            "版本 / Revision",
            s.revision.map_or("new".into(), |r| r.to_string()),
        ),
        (VERSION_ROW, "表单版本 / Form version", FORM_VERSION.into()),
    ] {
        ws.write_string_with_format(row, 0, label, &bold)?;
        ws.write_string(row, 1, value)?;
    }
    ws.write_string(DEALER_ROW, 2, s.dealer_name)?;
    ws.write_string_with_format(
        5,
        0,
        "白色单元格填写，蓝色为自动合计 / Fill in the white cells; blue cells are totals",
        &note_fmt,
    )?;
    for (col, text) in [
        "代码 / Code",
        "项目",
        "Item",
        "本月 / This month",
        "上月 / Last month",
        "规则 / Rule",
    ]
    .into_iter()
    .enumerate()
    {
        ws.write_string_with_format(FIRST_ROW - 1, col as u16, text, &header)?;
    }
    ws.set_freeze_panes(FIRST_ROW, 0)?;

    let mut row = FIRST_ROW;
    let mut row_of = [0u32; FIELDS.len()];
    for sec in Section::ALL {
        ws.write_string_with_format(row, 0, sec.name(), &section)?;
        ws.write_string_with_format(row, 1, sec.zh(), &section)?;
        ws.write_string_with_format(row, 2, english(sec.name()), &section)?;
        row += 1;
        for def in FIELDS.iter().filter(|d| d.section == *sec) {
            let input = Format::new()
                .set_unlocked()
                .set_background_color(Color::White)
                .set_border(FormatBorder::Thin)
                .set_num_format(number_format(def.kind))
                .set_align(FormatAlign::Right);
            let last = Format::new().set_num_format(number_format(def.kind));
            ws.write_string(row, CODE_COL, def.name)?;
            ws.write_string(row, 1, def.zh)?;
            ws.write_string(row, 2, english(def.name))?;
            match value_of(s.values, def.field) {
                Some(v) => ws.write_number_with_format(row, VALUE_COL, v, &input)?,
                None => ws.write_blank(row, VALUE_COL, &input)?,
            };
            if let Some(v) = value_of(s.last_month, def.field) {
                ws.write_number_with_format(row, LAST_COL, v, &last)?;
            }
            let rule = rule_text(def.field, s.month);
            ws.write_string(row, RULE_COL, &rule)?;
            ws.add_data_validation(
                row,
                VALUE_COL,
                row,
                VALUE_COL,
                &validation(def.field, s.month)?,
            )?;
            ws.insert_note(row, VALUE_COL, &Note::new(&rule).set_author("MSI Hub"))?;
            row_of[def.field as usize] = row;
            row += 1;
        }
    }
    ws.write_string_with_format(row, 0, "totals", &section)?;
    ws.write_string_with_format(row, 1, "合计", &section)?;
    ws.write_string_with_format(row, 2, "Totals (computed)", &section)?;
    row += 1;
    for t in TOTALS {
        let blue = Format::new()
            .set_background_color(Color::RGB(0xDDEBF7))
            .set_font_color(Color::RGB(0x1F4E79))
            .set_border(FormatBorder::Thin)
            .set_num_format(number_format(t.kind));
        let cells = |col: &str| -> String {
            t.parts
                .iter()
                .map(|p| format!("{col}{}", row_of[*p as usize] + 1))
                .collect::<Vec<_>>()
                .join(",")
        };
        ws.write_string(row, CODE_COL, t.name)?;
        ws.write_string(row, 1, t.zh)?;
        ws.write_string(row, 2, english(t.name))?;
        ws.write_formula_with_format(
            row,
            VALUE_COL,
            Formula::new(format!("=SUM({})", cells("D"))),
            &blue,
        )?;
        ws.write_formula_with_format(
            row,
            LAST_COL,
            Formula::new(format!("=SUM({})", cells("E"))),
            &blue,
        )?;
        row += 1;
    }
    ws.protect();
    Ok(())
}
