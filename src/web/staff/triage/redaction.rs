//! Redaction on the opinion page: the suggestions and redactions of an opinion with their
//! decisions, withholding text staff point at, the text as it will be published, the audited
//! view of a web or API submitter's contact details, and the staff export of all of it.
use super::super::{checked_form, require};
use super::opinion::{opinion_page, Extra};
use crate::app::contact::{self, Whose};
use crate::app::redaction::{self as ops, Withholding};
use crate::db::redactions::{self, Row};
use crate::db::triage::OpinionDetail;
use crate::domain::personal_data::Kind;
use crate::domain::redaction::{Decision, DecisionRefusal, Field, PublicText, Reason, Status};
use crate::domain::staff::Permission;
use crate::domain::Locale;
use crate::i18n::Tr;
use crate::web::error::{AppError, ErrorKind, OrRefused, OrRespond};
use crate::web::page::see_other;
use crate::web::view::Choice;
use crate::web::{request_locale, AppState};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

pub struct RedactionView {
    pub id: i64,
    pub field: &'static str,
    /// The span's text as the person wrote it (staff only).
    pub text: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub status_code: &'static str,
    pub reason: &'static str,
    pub note: String,
}

/// The opinion's texts as the public will read them, with markers where text is withheld.
pub struct PublishedPreview {
    pub body: String,
    pub reason: Option<String>,
    pub location: Option<String>,
}

pub fn field_label(t: Tr, field: Field) -> &'static str {
    t.t(match field {
        Field::Body => "body_label",
        Field::Reason => "reason_label",
        Field::Location => "location_label",
    })
}

fn kind_label(t: Tr, kind: &str) -> &'static str {
    match kind.parse::<Kind>() {
        Ok(Kind::Phone) => t.t("pd_phone"),
        Ok(Kind::Email) => t.t("pd_email"),
        Ok(Kind::PostalCode) => t.t("pd_postal_code"),
        Ok(Kind::Address) => t.t("pd_address"),
        Ok(Kind::IndividualNumber) => t.t("pd_individual_number"),
        Ok(Kind::PaymentCard) => t.t("pd_payment_card"),
        Ok(Kind::Name) => t.t("pd_name"),
        Err(_) => t.t("pd_manual"),
    }
}

fn status_label(t: Tr, status: Status) -> &'static str {
    t.t(match status {
        Status::Suggested => "redaction_suggested",
        Status::Accepted => "redaction_accepted",
        Status::Dismissed => "redaction_dismissed",
        Status::Manual => "redaction_manual",
    })
}

pub fn reason_label(t: Tr, reason: Reason) -> &'static str {
    t.t(match reason {
        Reason::OwnPersonalData => "reason_own_personal_data",
        Reason::ThirdPartyPersonalData => "reason_third_party_personal_data",
        Reason::Defamatory => "reason_defamatory",
        Reason::Other => "reason_other",
    })
}

pub fn reason_choices(locale: Locale) -> Vec<Choice> {
    let t = Tr::new(locale);
    Reason::ALL.iter().map(|r| Choice { value: r.as_str().into(), label: reason_label(t, *r).into() }).collect()
}

pub fn field_choices(locale: Locale) -> Vec<Choice> {
    let t = Tr::new(locale);
    Field::ALL.iter().map(|f| Choice { value: f.as_str().into(), label: field_label(t, *f).into() }).collect()
}

fn field_text(o: &OpinionDetail, field: Field) -> Option<&str> {
    match field {
        Field::Body => Some(&o.body),
        Field::Reason => o.reason.as_deref(),
        Field::Location => o.location.as_deref(),
    }
}

/// The rows of an opinion as the page lists them, and its texts as they would be published.
pub fn views(o: &OpinionDetail, rows: &[Row], locale: Locale) -> (Vec<RedactionView>, PublishedPreview) {
    let t = Tr::new(locale);
    let views = rows
        .iter()
        .map(|r| {
            let span = r.span();
            let text: String = field_text(o, span.field)
                .map(|s| s.chars().skip(span.start).take(span.end.saturating_sub(span.start)).collect())
                .unwrap_or_default();
            RedactionView {
                id: r.id,
                field: field_label(t, span.field),
                text,
                kind: kind_label(t, &r.kind),
                status: status_label(t, span.status),
                status_code: span.status.as_str(),
                reason: span.reason.map(|x| reason_label(t, x)).unwrap_or(""),
                note: r.note.clone().unwrap_or_default(),
            }
        })
        .collect();
    let published = |field: Field| {
        let spans: Vec<(usize, usize, Reason)> = rows
            .iter()
            .map(Row::span)
            .filter(|s| s.field == field && s.status.withholds())
            .map(|s| (s.start, s.end, s.reason.unwrap_or(Reason::Other)))
            .collect();
        field_text(o, field).map(|text| PublicText::build(text, &spans).render(locale))
    };
    let preview = PublishedPreview {
        body: published(Field::Body).unwrap_or_default(),
        reason: published(Field::Reason),
        location: published(Field::Location),
    };
    (views, preview)
}

fn refusal_message(locale: Locale, refusal: DecisionRefusal) -> String {
    let t = Tr::new(locale);
    t.t(match refusal {
        DecisionRefusal::NotApplicable => "redaction_not_applicable",
        DecisionRefusal::NoteNeeded => "redaction_note_needed",
        DecisionRefusal::NotInText => "redaction_not_in_text",
    })
    .into()
}

/// Back to the opinion after a change, or its page again with what was refused.
async fn answer(
    req: &HttpRequest,
    state: &AppState,
    staff: &super::super::Staff,
    id: i64,
    outcome: Result<(), crate::app::OpError<DecisionRefusal>>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(req);
    match outcome.refused_page(locale)? {
        Ok(()) => Ok(see_other(format!("/staff/opinions/{id}#redactions"))),
        Err(refusal) => {
            let extra = Extra::refused(refusal_message(locale, refusal), StatusCode::UNPROCESSABLE_ENTITY);
            opinion_page(req, state, staff, id, extra).await
        }
    }
}

/// Withholds text staff typed from one field.
pub async fn withhold(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Triage).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let bad = |what: &str| AppError::html(locale, ErrorKind::BadRequest(what.into()));
    let asked = Withholding {
        field: get("field").parse().map_err(|_| bad("field"))?,
        text: get("text"),
        reason: get("reason").parse().map_err(|_| bad("reason"))?,
        note: get("note"),
    };
    let id = id.into_inner();
    let outcome = ops::withhold(&state.db, staff.actor(), id, asked, state.clock.now()).await.map(|_| ());
    answer(&req, &state, &staff, id, outcome).await
}

/// Accepts or dismisses a suggestion, or lifts a redaction.
pub async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::Triage).await?;
    let f = checked_form(&req, &state, &staff, payload).await?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let decision = match get("decision").as_str() {
        "accept" => Decision::Accept {
            reason: get("reason")
                .parse()
                .map_err(|_| AppError::html(locale, ErrorKind::BadRequest("reason".into())))?,
            note: Some(get("note")),
        },
        "dismiss" => Decision::Dismiss,
        "lift" => Decision::Lift,
        _ => return Err(AppError::html(locale, ErrorKind::BadRequest("decision".into()))),
    };
    let (id, redaction) = path.into_inner();
    let outcome = ops::decide(&state.db, staff.actor(), id, redaction, decision, state.clock.now()).await;
    answer(&req, &state, &staff, id, outcome).await
}

/// Shows the submitter's contact details on the opinion page; every look is audited.
pub async fn reveal_contact(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    let staff = require(&req, &state, Permission::RevealContact).await?;
    checked_form(&req, &state, &staff, payload).await?;
    let id = id.into_inner();
    let revealed = contact::reveal(&state.db, staff.actor(), Whose::Opinion(id), state.clock.now()).await;
    let Ok(contact) = revealed.refused_page(locale)?;
    opinion_page(&req, &state, &staff, id, Extra::with_contact(contact)).await
}

/// Every suggestion and redaction of a consultation as CSV (UTF-8 with BOM): offsets in
/// characters of the stored text, end excluded.
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let locale = request_locale(&req);
    require(&req, &state, Permission::Triage).await?;
    let stored = state.consultation_page(&slug, locale).await?;
    let id = stored.id;
    let rows = state.db.run(move |c| redactions::export(c, id)).await.page(locale)?;
    let header = ["receipt_number", "opinion_id", "field", "start", "end", "kind", "status", "reason"];
    let out = crate::export::csv(
        &header,
        rows.into_iter().map(|r| {
            vec![
                r.receipt_number,
                r.opinion_id.to_string(),
                r.field,
                r.start.to_string(),
                r.end.to_string(),
                r.kind,
                r.status,
                r.reason.unwrap_or_default(),
            ]
        }),
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{slug}-redactions.csv\"")))
        .insert_header(("Cache-Control", "no-store"))
        .body(out))
}
