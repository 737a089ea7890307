//! Staff work cannot starve public intake: at most `staff.max_concurrent` staff requests run
//! at once (others wait up to `staff.slot_wait_ms`, then get a "busy" page), and on PostgreSQL each of their
//! queries stops after `staff.statement_timeout_ms`.
use crate::db::with_statement_timeout;
use crate::web::error::{AppError, ErrorKind};
use crate::web::{request_locale, AppState};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use std::time::Duration;

pub async fn staff_limits(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    let wait = Duration::from_millis(state.settings.staff.slot_wait_ms);
    let slot = tokio::time::timeout(wait, state.staff_slots.clone().acquire_owned()).await;
    let Ok(Ok(_slot)) = slot else {
        let response = AppError::html(request_locale(req.request()), ErrorKind::StaffBusy).error_response();
        return Ok(req.into_response(response).map_into_right_body());
    };
    let limit = Duration::from_millis(state.settings.staff.statement_timeout_ms.max(1));
    with_statement_timeout(limit, next.call(req)).await.map(ServiceResponse::map_into_left_body)
}
