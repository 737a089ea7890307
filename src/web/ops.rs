//! Probes and metrics for operators.
use super::AppState;
use crate::db::outbox;
use actix_web::{web, HttpResponse};

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok\n")
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if let Some(reason) = state.db.storage_problem() {
        return HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "30"))
            .content_type("text/plain; charset=utf-8")
            .body(format!("storage unavailable: {reason}\n"));
    }
    let check = state
        .db
        .run(|c| {
            use diesel::connection::SimpleConnection;
            c.batch_execute("SELECT 1").map_err(crate::db::DbError::from)
        })
        .await;
    match check {
        Ok(()) => HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ready\n"),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", "5"))
                .content_type("text/plain; charset=utf-8")
                .body("database unreachable\n")
        }
    }
}

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let pending = state.db.run(outbox::pending).await.ok();
    let search = state.db.run(crate::db::search::backlog).await.ok();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(pending, search))
}
