//! The results as files: CSV (UTF-8 with BOM), XLSX and JSON, and the same JSON for the API.
//! Each states the window and the totals and carries every field the page shows.
use super::stream::{each_opinion, streamed, ChunkWriter};
use super::{each_row, facts, published, PublicOpinion, VersionQuery, COLUMNS};
use crate::db::Db;
use crate::domain::locale::Localized;
use crate::domain::results::{PublishedResults, Text, Totals, Window};
use crate::domain::Locale;
use crate::export::{csv_line, neutralize_formula};
use crate::i18n::Tr;
use crate::markdown::SanitizedHtml;
use crate::web::error::AppError;
use crate::web::AppState;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use rust_xlsxwriter::XlsxError;
use serde::Serialize;
use std::io::{self, Write};

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
    /// Written last, as the opinions are read.
    opinions: [PublicOpinion; 0],
}

#[derive(Serialize)]
struct PublicSection<'a> {
    draft: Option<&'a str>,
    title: &'a Localized,
    /// Written last, item by item.
    items: [PublicItem<'a>; 0],
}

/// The results as the JSON download and the API give them: opinion text in `language`, with
/// markers where staff withheld text; response items in Markdown and as sanitized HTML.
/// Written as a stream: each object's last member (a list) is filled as it is read.
#[derive(Serialize)]
struct PublicResults<'a> {
    consultation: &'a str,
    version: i32,
    published_at: DateTime<Utc>,
    language: Locale,
    title: &'a Localized,
    window: Option<&'a Window>,
    totals: &'a Totals,
    files: Vec<PublicFile<'a>>,
    sections: [PublicSection<'a>; 0],
}

/// A published attachment in the JSON: what it is, its hash, and where to download it.
#[derive(Serialize)]
struct PublicFile<'a> {
    name: &'a str,
    content_type: &'a str,
    size: i64,
    sha256: &'a str,
    path: String,
}

/// `value` as JSON without its closing `[]}`, so that its last member's list can be written
/// after it.
fn open_json<T: Serialize>(value: &T) -> io::Result<String> {
    let text = serde_json::to_string(value).map_err(io::Error::other)?;
    text.strip_suffix("[]}")
        .map(|open| format!("{open}["))
        .ok_or_else(|| io::Error::other("an object streamed as JSON must end in an empty list"))
}

/// Writes the results as JSON, reading the opinions a page at a time.
pub fn write_json(db: &Db, r: &PublishedResults, locale: Locale, out: &mut dyn Write) -> io::Result<()> {
    let head = PublicResults {
        consultation: &r.consultation,
        version: r.version,
        published_at: r.published_at,
        language: locale,
        title: &r.title,
        window: r.window.as_ref(),
        totals: &r.totals,
        files: r
            .files
            .iter()
            .map(|f| PublicFile {
                name: &f.name,
                content_type: &f.content_type,
                size: f.size,
                sha256: &f.sha256,
                path: format!("/c/{}/results/files/{}", r.consultation, f.id),
            })
            .collect(),
        sections: [],
    };
    out.write_all(open_json(&head)?.as_bytes())?;
    for (s, sec) in r.sections.iter().enumerate() {
        let section = PublicSection { draft: sec.draft.as_deref(), title: &sec.title, items: [] };
        out.write_all(if s > 0 { b"," } else { b"" })?;
        out.write_all(open_json(&section)?.as_bytes())?;
        for (n, i) in sec.items.iter().enumerate() {
            let item = PublicItem {
                number: i.number,
                summary: PublicText::new(&i.summary),
                view: PublicText::new(&i.view),
                changed: i.changed,
                change: PublicText::new(&i.change),
                opinion_count: i.opinion_count,
                same_content: i.same_content,
                opinions: [],
            };
            out.write_all(if n > 0 { b"," } else { b"" })?;
            out.write_all(open_json(&item)?.as_bytes())?;
            let mut first = true;
            each_opinion(db, r, i, &mut |o| {
                out.write_all(if first { b"" } else { b"," })?;
                first = false;
                serde_json::to_writer(&mut *out, &PublicOpinion::new(o, locale)).map_err(io::Error::other)
            })?;
            out.write_all(b"]}")?;
        }
        out.write_all(b"]}")?;
    }
    out.write_all(b"]}")
}

/// The window and totals lines, then a blank line, then the table.
fn preamble(r: &PublishedResults, locale: Locale) -> Vec<Vec<String>> {
    let f = facts(r, locale);
    let mut lines = vec![vec![Tr::new(locale).t("results_heading").to_string(), r.title.get(locale).to_string()]];
    lines.extend(f.window.into_iter().map(|(k, v)| vec![k, v]));
    lines.extend(f.totals.into_iter().chain(f.not_published).map(|(k, n)| vec![k, n.to_string()]));
    let heading = Tr::new(locale).t("published_files_heading");
    lines.extend(r.files.iter().map(|file| {
        let path = format!("/c/{}/results/files/{}", r.consultation, file.id);
        vec![heading.to_string(), file.name.clone(), file.size.to_string(), file.sha256.clone(), path]
    }));
    lines
}

pub async fn csv_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<VersionQuery>,
) -> Result<HttpResponse, AppError> {
    let (r, locale) = published(&req, &state, &slug, q.version).await?;
    let (k, v) = attachment(format!("{}-results-v{}-{locale}.csv", r.consultation, r.version));
    let db = state.db.clone();
    let body = streamed(move |out| {
        out.write_all("\u{feff}".as_bytes())?;
        for line in preamble(&r, locale) {
            out.write_all(csv_line(line.iter().map(String::as_str)).as_bytes())?;
        }
        out.write_all(b"\r\n")?;
        out.write_all(csv_line(COLUMNS.into_iter()).as_bytes())?;
        each_row(&db, &r, locale, &mut |row| out.write_all(csv_line(row.iter().map(String::as_str)).as_bytes()))
    });
    Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").insert_header((k, v)).streaming(body))
}

pub async fn json_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<VersionQuery>,
) -> Result<HttpResponse, AppError> {
    let (r, locale) = published(&req, &state, &slug, q.version).await?;
    let (k, v) = attachment(format!("{}-results-v{}-{locale}.json", r.consultation, r.version));
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((k, v))
        .streaming(json_body(&state, r, locale)))
}

/// The results as a streamed JSON body (the download and the API).
pub fn json_body(
    state: &AppState,
    r: PublishedResults,
    locale: Locale,
) -> impl futures_util::Stream<Item = io::Result<Bytes>> {
    let db = state.db.clone();
    streamed(move |out| write_json(&db, &r, locale, out))
}

/// Columns written as numbers (item and opinion numbers), and each column's width.
const NUMERIC: [usize; 4] = [2, 3, 4, 9];
const WIDTHS: [f64; 14] = [18.0, 30.0, 6.0, 8.0, 8.0, 40.0, 50.0, 8.0, 30.0, 8.0, 14.0, 60.0, 40.0, 20.0];

/// Writes the results as a workbook: the table sheet is kept on disk while it is written
/// (constant memory), and the file goes to `out` as it is zipped.
fn workbook(db: &Db, r: &PublishedResults, locale: Locale, out: &mut ChunkWriter) -> Result<(), XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let t = Tr::new(locale);
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name(t.t("results_sheet"))?;
    for (col, width) in WIDTHS.iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (col, name) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, &bold)?;
    }
    let mut line = 0u32;
    let mut failed = None;
    let written = each_row(db, r, locale, &mut |row| {
        line += 1;
        for (col, cell) in row.iter().enumerate() {
            let done = match cell.parse::<f64>() {
                Ok(n) if NUMERIC.contains(&col) => sheet.write_number(line, col as u16, n).map(|_| ()),
                // Strings are written as strings, never as formulas.
                _ => sheet.write_string_with_format(line, col as u16, neutralize_formula(cell), &wrap).map(|_| ()),
            };
            if let Err(e) = done {
                failed = Some(e);
                return Err(io::Error::other("the workbook refused a cell"));
            }
        }
        Ok(())
    });
    if let Some(e) = failed {
        return Err(e);
    }
    written?;
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
    book.save_to_writer(out)
}

pub async fn xlsx_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<VersionQuery>,
) -> Result<HttpResponse, AppError> {
    let (r, locale) = published(&req, &state, &slug, q.version).await?;
    let (k, v) = attachment(format!("{}-results-v{}-{locale}.xlsx", r.consultation, r.version));
    let db = state.db.clone();
    let body = streamed(move |out| workbook(&db, &r, locale, out).map_err(io::Error::other));
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((k, v))
        .streaming(body))
}
