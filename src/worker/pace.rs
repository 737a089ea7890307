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

#[cfg(test)]
mod tests {
    use super::*;

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
}
