//! The results as files: CSV (UTF-8 with BOM), XLSX and JSON, and the same JSON for the API.
//! Each states the window and the totals and carries every field the page shows.
use super::{facts, published, rows, PublicOpinion, VersionQuery, COLUMNS};
use crate::domain::locale::Localized;
use crate::domain::results::{PublishedResults, Text, Totals, Window};
use crate::domain::Locale;
use crate::export::{csv, neutralize_formula};
use crate::i18n::Tr;
use crate::markdown::SanitizedHtml;
use crate::web::error::{AppError, ErrorKind};
use crate::web::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;

fn attachment(name: String) -> (String, String) {
    ("Content-Disposition".into(), format!("attachment; filename=\"{name}\""))
}

/// Markdown per language, and the sanitized HTML each becomes on the page.
#[derive(Serialize)]
struct PublicText<'a> {
    ja: &'a str,
    en: &'a str,
    html: Localized,
}

impl<'a> PublicText<'a> {
    fn new(t: &'a Text) -> Self {
        let html = |md: &str| SanitizedHtml::from_markdown(md).as_str().to_string();
        Self { ja: &t.ja, en: &t.en, html: Localized::new(&html(&t.ja), &html(&t.en)) }
    }
}

#[derive(Serialize)]
struct PublicItem<'a> {
    number: usize,
    summary: PublicText<'a>,
    view: PublicText<'a>,
    changed: bool,
    change: PublicText<'a>,
    opinion_count: usize,
    same_content: usize,
    opinions: Vec<PublicOpinion>,
}

#[derive(Serialize)]
struct PublicSection<'a> {
    draft: Option<&'a str>,
    title: &'a Localized,
    items: Vec<PublicItem<'a>>,
}

/// The results as the JSON download and the API give them: opinion text in `language`, with
/// markers where staff withheld text; response items in Markdown and as sanitized HTML.
#[derive(Serialize)]
pub struct PublicResults<'a> {
    consultation: &'a str,
    version: i32,
    published_at: DateTime<Utc>,
    language: Locale,
    title: &'a Localized,
    window: Option<&'a Window>,
    totals: &'a Totals,
    sections: Vec<PublicSection<'a>>,
}

impl<'a> PublicResults<'a> {
    pub fn new(r: &'a PublishedResults, locale: Locale) -> Self {
        Self {
            consultation: &r.consultation,
            version: r.version,
            published_at: r.published_at,
            language: locale,
            title: &r.title,
            window: r.window.as_ref(),
            totals: &r.totals,
            sections: r
                .sections
                .iter()
                .map(|sec| PublicSection {
                    draft: sec.draft.as_deref(),
                    title: &sec.title,
                    items: sec
                        .items
                        .iter()
                        .map(|i| PublicItem {
                            number: i.number,
                            summary: PublicText::new(&i.summary),
                            view: PublicText::new(&i.view),
                            changed: i.changed,
                            change: PublicText::new(&i.change),
                            opinion_count: i.opinion_count,
                            same_content: i.same_content,
                            opinions: i.opinions.iter().map(|o| PublicOpinion::new(o, locale)).collect(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The window and totals lines, then a blank line, then the table.
fn preamble(r: &PublishedResults, locale: Locale) -> Vec<Vec<String>> {
    let f = facts(r, locale);
    let mut lines = vec![vec![Tr::new(locale).t("results_heading").to_string(), r.title.get(locale).to_string()]];
    lines.extend(f.window.into_iter().map(|(k, v)| vec![k, v]));
    lines.extend(f.totals.into_iter().chain(f.not_published).map(|(k, n)| vec![k, n.to_string()]));
    lines
}

pub async fn csv_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<VersionQuery>,
) -> Result<HttpResponse, AppError> {
    let (r, locale) = published(&req, &state, &slug, q.version).await?;
    let mut lines = preamble(&r, locale);
    lines.push(Vec::new());
    lines.push(COLUMNS.iter().map(|c| c.to_string()).collect());
    lines.extend(rows(&r, locale).into_iter().map(Vec::from));
    let out = csv(&[], lines);
    let (k, v) = attachment(format!("{}-results-v{}-{locale}.csv", r.consultation, r.version));
    Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").insert_header((k, v)).body(out))
}

pub async fn json_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<VersionQuery>,
) -> Result<HttpResponse, AppError> {
    let (r, locale) = published(&req, &state, &slug, q.version).await?;
    let (k, v) = attachment(format!("{}-results-v{}-{locale}.json", r.consultation, r.version));
    Ok(HttpResponse::Ok().insert_header((k, v)).json(PublicResults::new(&r, locale)))
}

/// Columns written as numbers (item and opinion numbers), and each column's width.
const NUMERIC: [usize; 4] = [2, 3, 4, 9];
const WIDTHS: [f64; 14] = [18.0, 30.0, 6.0, 8.0, 8.0, 40.0, 50.0, 8.0, 30.0, 8.0, 14.0, 60.0, 40.0, 20.0];

fn workbook(r: &PublishedResults, locale: Locale) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let t = Tr::new(locale);
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let sheet = book.add_worksheet();
    sheet.set_name(t.t("results_sheet"))?;
    for (col, (name, width)) in COLUMNS.iter().zip(WIDTHS).enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, &bold)?;
        sheet.set_column_width(col as u16, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (i, row) in rows(r, locale).iter().enumerate() {
        let line = i as u32 + 1;
        for (col, cell) in row.iter().enumerate() {
            match cell.parse::<f64>() {
                Ok(n) if NUMERIC.contains(&col) => sheet.write_number(line, col as u16, n)?,
                // Strings are written as strings, never as formulas.
                _ => sheet.write_string_with_format(line, col as u16, neutralize_formula(cell), &wrap)?,
            };
        }
    }
    let summary = book.add_worksheet();
    summary.set_name(t.t("summary_sheet"))?;
    summary.set_column_width(0, 36.0)?;
    summary.set_column_width(1, 60.0)?;
    for (i, line) in preamble(r, locale).iter().enumerate() {
        summary.write_string_with_format(i as u32, 0, neutralize_formula(&line[0]), &bold)?;
        match line[1].parse::<f64>() {
            Ok(n) if i > 0 => summary.write_number(i as u32, 1, n)?,
            _ => summary.write_string(i as u32, 1, neutralize_formula(&line[1]))?,
        };
    }
    book.save_to_buffer()
}

pub async fn xlsx_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<VersionQuery>,
) -> Result<HttpResponse, AppError> {
    let (r, locale) = published(&req, &state, &slug, q.version).await?;
    let name = format!("{}-results-v{}-{locale}.xlsx", r.consultation, r.version);
    let bytes = tokio::task::spawn_blocking(move || workbook(&r, locale))
        .await
        .map_err(|e| AppError::html(locale, ErrorKind::internal(e)))?
        .map_err(|e| AppError::html(locale, ErrorKind::internal(e)))?;
    let (k, v) = attachment(name);
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((k, v))
        .body(bytes))
}
