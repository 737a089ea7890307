//! `GET /c/{slug}/receipt/{receipt}/copy.txt`: a plain-text copy of what the person sent, to
//! keep. It holds what the receipt page shows (the opinions as sent, not the contact details,
//! since anyone with the number can open it).
use super::{find, private};
use crate::i18n::{self, Tr};
use crate::web::AppState;
use actix_web::{web, HttpRequest, HttpResponse};

pub async fn copy(req: HttpRequest, state: web::Data<AppState>, path: web::Path<(String, String)>) -> HttpResponse {
    let (slug, number) = path.into_inner();
    private(
        async {
            let (stored, tracking, locale) = find(&req, &state, &slug, &number).await?;
            let (c, t, s) = (&stored.consultation, Tr::new(locale), &tracking.submission);
            let mut out = String::new();
            out.push_str(&format!("{}\r\n\r\n", c.title.get(locale)));
            out.push_str(&format!("{}: {}\r\n", t.t("receipt_number_label"), s.receipt_number));
            out.push_str(&format!(
                "{}: {}\r\n",
                t.t("received_at_label"),
                i18n::datetime(locale, s.received_at, c.time_zone)
            ));
            for (i, o) in s.opinions.iter().enumerate() {
                let draft = o
                    .draft_code
                    .as_deref()
                    .and_then(|code| c.draft(code))
                    .map(|d| d.title.get(locale).to_string())
                    .unwrap_or_else(|| t.t("draft_whole").to_string());
                out.push_str(&format!(
                    "\r\n== {} {} ==\r\n{}: {draft}\r\n",
                    t.t("opinion_legend"),
                    i + 1,
                    t.t("draft_label")
                ));
                if let Some(location) = o.location.as_deref().filter(|l| !l.is_empty()) {
                    out.push_str(&format!("{}: {location}\r\n", t.t("location_label")));
                }
                out.push_str(&format!("{}:\r\n{}\r\n", t.t("body_label"), o.body.replace('\n', "\r\n")));
                if let Some(reason) = o.reason.as_deref().filter(|r| !r.is_empty()) {
                    out.push_str(&format!("{}:\r\n{}\r\n", t.t("reason_label"), reason.replace('\n', "\r\n")));
                }
            }
            let name = format!("{}-{}.txt", c.slug, s.receipt_number);
            Ok(HttpResponse::Ok()
                .content_type("text/plain; charset=utf-8")
                .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
                .body(out))
        }
        .await,
    )
}
