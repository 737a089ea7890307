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
        postmark_date -> Nullable<Date>,
        transcribed_by -> Nullable<BigInt>,
        verification -> Nullable<Text>,
        verified_by -> Nullable<BigInt>,
        verification_comment -> Nullable<Text>,
        late_accepted_by -> Nullable<BigInt>,
        late_acceptance_reason -> Nullable<Text>,
        corrected_by -> Nullable<BigInt>,
        request_hash -> Nullable<Text>,
        withdrawn_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    published_opinions (opinion_id, version) {
        opinion_id -> BigInt,
        version -> Integer,
        outcome -> Text,
        answer -> Nullable<Text>,
        item_id -> Nullable<BigInt>,
        number -> Nullable<Integer>,
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
        assignee_id -> Nullable<BigInt>,
        triage_reason -> Nullable<Text>,
        duplicate_of -> Nullable<BigInt>,
        response_item_id -> Nullable<BigInt>,
        original_draft_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    opinion_tags (opinion_id, tag) {
        opinion_id -> BigInt,
        tag -> Text,
    }
}

diesel::table! {
    opinion_notes (id) {
        id -> BigInt,
        opinion_id -> BigInt,
        author_id -> BigInt,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    response_items (id) {
        id -> BigInt,
        consultation_id -> BigInt,
        draft_id -> Nullable<BigInt>,
        position -> Integer,
        summary_ja -> Text,
        summary_en -> Text,
        view_ja -> Text,
        view_en -> Text,
        changed -> Bool,
        change_ja -> Text,
        change_en -> Text,
        status -> Text,
        approved_by -> Nullable<BigInt>,
        approved_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        created_by -> Nullable<BigInt>,
        edited_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    redactions (id) {
        id -> BigInt,
        opinion_id -> BigInt,
        field -> Text,
        start_char -> Integer,
        end_char -> Integer,
        kind -> Text,
        status -> Text,
        reason -> Nullable<Text>,
        note -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    fingerprints (opinion_id) {
        opinion_id -> BigInt,
        consultation_id -> BigInt,
        signature -> Binary,
        shingles -> Integer,
    }
}

diesel::table! {
    fingerprint_bands (consultation_id, band_key, opinion_id) {
        consultation_id -> BigInt,
        band_key -> BigInt,
        opinion_id -> BigInt,
    }
}

diesel::table! {
    cluster_members (opinion_id) {
        opinion_id -> BigInt,
        consultation_id -> BigInt,
        cluster_id -> BigInt,
        similarity -> Integer,
        own_chars -> Integer,
        is_template -> Bool,
    }
}

diesel::table! {
    cluster_overrides (id) {
        id -> BigInt,
        consultation_id -> BigInt,
        kind -> Text,
        opinion_id -> BigInt,
        other_opinion_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    result_versions (id) {
        id -> BigInt,
        consultation_id -> BigInt,
        version -> Integer,
        published_at -> Timestamp,
        published_by -> BigInt,
        content -> Text,
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
        claimed_by -> Nullable<Text>,
    }
}

diesel::table! {
    staff_users (id) {
        id -> BigInt,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        totp_secret -> Nullable<Text>,
        totp_pending -> Nullable<Text>,
        totp_last_step -> Nullable<BigInt>,
    }
}

diesel::table! {
    staff_recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_password_resets (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_attempts (id) {
        id -> BigInt,
        username -> Text,
        client -> Text,
        at -> Timestamp,
        succeeded -> Bool,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        actor -> Text,
        action -> Text,
        object_type -> Text,
        object_id -> Text,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
        client -> Text,
    }
}

diesel::table! {
    attachments (id) {
        id -> BigInt,
        submission_id -> BigInt,
        stored_name -> Text,
        original_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        uploaded_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        sha256 -> Nullable<Text>,
        publishable -> Bool,
        extracted_text -> Nullable<Text>,
    }
}

diesel::table! {
    opinion_revisions (id) {
        id -> BigInt,
        opinion_id -> BigInt,
        draft_id -> Nullable<BigInt>,
        location -> Nullable<Text>,
        body -> Text,
        reason -> Nullable<Text>,
        replaced_by -> BigInt,
        replaced_at -> Timestamp,
    }
}

diesel::joinable!(drafts -> consultations (consultation_id));
diesel::joinable!(staff_sessions -> staff_users (user_id));
diesel::joinable!(staff_recovery_codes -> staff_users (user_id));
diesel::joinable!(attachments -> submissions (submission_id));
diesel::joinable!(opinion_revisions -> opinions (opinion_id));
diesel::joinable!(submissions -> consultations (consultation_id));
diesel::joinable!(opinions -> submissions (submission_id));
diesel::joinable!(opinions -> drafts (draft_id));
diesel::joinable!(opinion_tags -> opinions (opinion_id));
diesel::joinable!(opinion_notes -> opinions (opinion_id));
diesel::joinable!(outbox -> submissions (submission_id));
diesel::joinable!(redactions -> opinions (opinion_id));
diesel::joinable!(cluster_members -> opinions (opinion_id));
diesel::joinable!(fingerprints -> opinions (opinion_id));

diesel::allow_tables_to_appear_in_same_query!(
    consultations,
    published_opinions,
    drafts,
    submissions,
    opinions,
    outbox,
    staff_users,
    staff_sessions,
    sign_in_attempts,
    audit_log,
    attachments,
    opinion_revisions,
    opinion_tags,
    opinion_notes,
    response_items,
    result_versions,
    redactions,
    jobs,
    fingerprints,
    fingerprint_bands,
    cluster_members,
    cluster_overrides,
    staff_recovery_codes,
    staff_password_resets,
);

diesel::table! {
    /// Opinions whose text the worker has not yet added to the search index.
    search_backlog (opinion_id) {
        opinion_id -> BigInt,
    }
}

diesel::table! {
    instance_secrets (name) {
        name -> Text,
        value -> Text,
    }
}
