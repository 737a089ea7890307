//! How long background work waits between passes: it yields to intake during a surge and
//! catches up at full speed after it.
use super::Background;
use std::time::Duration;

/// The pause after a pass that did `done` pieces of work in `took`, or None to go straight on.
/// While submissions are arriving, every kind pauses three times as long as its pass, so it
/// takes at most a quarter of the CPU and of the database writer (SQLite has one); the
/// personal-data scan and campaign work pause at least a second besides. The search index
/// takes small passes (`index_batch`) with short pauses: on SQLite ~2,000 opinions a second
/// during a saturating surge (the rest wait, and the search reads their text directly, see
/// db::search), and all of a lighter load.
pub fn pause_after(
    work: Background,
    done: usize,
    intake_active: bool,
    took: Duration,
    poll: Duration,
) -> Option<Duration> {
    if done == 0 {
        return Some(poll);
    }
    if !intake_active {
        return None;
    }
    Some(match work {
        Background::Search => (took * 3).clamp(Duration::from_millis(100), Duration::from_secs(5)),
        Background::Text | Background::Campaigns => (took * 3).clamp(Duration::from_secs(1), Duration::from_secs(5)),
    })
}

/// Opinions added to the search index in one pass: few while submissions arrive, so the pass
/// holds SQLite's one writer for tens of milliseconds, not hundreds; many after, to catch up.
pub fn index_batch(intake_active: bool) -> i64 {
    if intake_active {
        500
    } else {
        5_000
    }
}

/// Emails claimed in one pass: 200 at first; twice the last while passes come back full (a
/// backlog), up to 2,000, so the pass's fixed costs (the claim, the marks) shrink per email;
/// back to 200 once a pass finds fewer.
pub fn email_batch(last: i64, claimed: usize) -> i64 {
    if claimed as i64 >= last {
        (last * 2).min(EMAIL_BATCH_MAX)
    } else {
        EMAIL_BATCH_MIN
    }
}

pub const EMAIL_BATCH_MIN: i64 = 200;
const EMAIL_BATCH_MAX: i64 = 2_000;

/// Connections to the relay for a batch of `waiting` emails: one per ten, at least one, at
/// most `max` (`worker.concurrency`). A trickle keeps one connection; a backlog opens them all.
pub fn email_connections(waiting: usize, max: usize) -> usize {
    waiting.div_ceil(10).clamp(1, max.max(1))
}

/// Fewer opinions than this are read fast whatever plan SQLite chooses.
const STATISTICS_FROM: i64 = 1_000;

/// Whether SQLite's planner statistics should be gathered again: once the opinions reach
/// `STATISTICS_FROM`, and again each time they have doubled since the last time. So a
/// consultation growing to a million opinions is analysed about ten times in all, each time
/// holding the writer for at most a second or two.
pub fn statistics_due(analyzed_over: Option<i64>, opinions: i64) -> bool {
    opinions >= STATISTICS_FROM && analyzed_over.is_none_or(|before| opinions >= before.saturating_mul(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_are_gathered_when_the_opinions_have_doubled() {
        assert!(!statistics_due(None, 999), "small tables need none");
        assert!(statistics_due(None, 1_000), "never gathered");
        assert!(!statistics_due(Some(1_000), 1_999));
        assert!(statistics_due(Some(1_000), 2_000));
        assert!(!statistics_due(Some(100_000), 150_000));
        assert!(statistics_due(Some(0), 1_000), "gathered while empty");
    }

    const POLL: Duration = Duration::from_millis(500);

    #[test]
    fn nothing_to_do_waits_for_the_poll() {
        for work in [Background::Search, Background::Text, Background::Campaigns] {
            assert_eq!(pause_after(work, 0, true, Duration::from_millis(3), POLL), Some(POLL));
            assert_eq!(pause_after(work, 0, false, Duration::from_millis(3), POLL), Some(POLL));
        }
    }

    #[test]
    fn without_intake_work_goes_straight_on() {
        for work in [Background::Search, Background::Text, Background::Campaigns] {
            assert_eq!(pause_after(work, 10, false, Duration::from_secs(1), POLL), None);
        }
    }

    #[test]
    fn during_intake_work_pauses_three_times_the_pass_and_the_scan_at_least_a_second() {
        let took = Duration::from_millis(40);
        assert_eq!(pause_after(Background::Search, 500, true, took, POLL), Some(Duration::from_millis(120)));
        assert_eq!(
            pause_after(Background::Search, 500, true, Duration::from_millis(5), POLL),
            Some(Duration::from_millis(100))
        );
        assert_eq!(pause_after(Background::Text, 10, true, took, POLL), Some(Duration::from_secs(1)));
        assert_eq!(
            pause_after(Background::Campaigns, 10, true, Duration::from_millis(400), POLL),
            Some(Duration::from_millis(1200))
        );
        for work in [Background::Search, Background::Text, Background::Campaigns] {
            assert_eq!(pause_after(work, 10, true, Duration::from_secs(9), POLL), Some(Duration::from_secs(5)));
        }
    }

    #[test]
    fn the_index_takes_small_bites_during_intake_and_large_ones_after() {
        assert!(index_batch(true) * 5 <= index_batch(false));
        assert_eq!(index_batch(true), 500);
    }

    #[test]
    fn email_batches_grow_while_passes_come_back_full() {
        assert_eq!(email_batch(EMAIL_BATCH_MIN, 200), 400);
        assert_eq!(email_batch(400, 400), 800);
        assert_eq!(email_batch(1_600, 1_600), 2_000);
        assert_eq!(email_batch(2_000, 2_000), 2_000, "capped");
        assert_eq!(email_batch(800, 799), EMAIL_BATCH_MIN, "a pass that is not full ends the backlog");
        assert_eq!(email_batch(EMAIL_BATCH_MIN, 3), EMAIL_BATCH_MIN);
    }

    #[test]
    fn connections_follow_the_emails_waiting() {
        assert_eq!(email_connections(1, 16), 1);
        assert_eq!(email_connections(10, 16), 1);
        assert_eq!(email_connections(11, 16), 2);
        assert_eq!(email_connections(95, 16), 10);
        assert_eq!(email_connections(2_000, 16), 16);
        assert_eq!(email_connections(5, 0), 1, "a misconfigured zero still sends");
    }
}
