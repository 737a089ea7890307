// One schema of portable types for both backends; the migrations trees must match it.

diesel::table! {
    consultations (id) {
        id -> BigInt,
        slug -> Text,
        definition -> Text,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    drafts (id) {
        id -> BigInt,
        consultation_id -> BigInt,
        code -> Text,
        parent_code -> Nullable<Text>,
        position -> Integer,
        title_ja -> Nullable<Text>,
        title_en -> Nullable<Text>,
    }
}

diesel::table! {
    submissions (id) {
        id -> BigInt,
        consultation_id -> BigInt,
        receipt_number -> Text,
        idempotency_key -> Nullable<Text>,
        channel -> Text,
        locale -> Text,
        received_at -> Timestamp,
        late -> Bool,
        submitter_name -> Nullable<Text>,
        organization -> Nullable<Text>,
        email -> Nullable<Text>,
        postal_address -> Nullable<Text>,
        phone -> Nullable<Text>,
        publish_organization -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    opinions (id) {
        id -> BigInt,
        submission_id -> BigInt,
        draft_id -> Nullable<BigInt>,
        position -> Integer,
        location -> Nullable<Text>,
        body -> Text,
        reason -> Nullable<Text>,
        triage_state -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        kind -> Text,
        submission_id -> Nullable<BigInt>,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        message_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(drafts -> consultations (consultation_id));
diesel::joinable!(submissions -> consultations (consultation_id));
diesel::joinable!(opinions -> submissions (submission_id));
diesel::joinable!(opinions -> drafts (draft_id));
diesel::joinable!(outbox -> submissions (submission_id));

diesel::allow_tables_to_appear_in_same_query!(consultations, drafts, submissions, opinions, outbox);
