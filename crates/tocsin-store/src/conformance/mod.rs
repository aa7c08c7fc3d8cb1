//! The conformance suite: what every backend of the [`Store`](crate::Store) must do, written
//! once against `&dyn Store` and run on each backend by [`conformance_tests!`](crate::conformance_tests)
//! — a backend's test file names how to open a fresh, empty store and gets one test per check.
//!
//! A check panics, as a test does, when the backend does not do what it asserts. Checks that
//! need the backend's own SQL (triggers that refuse edits, migrations) stay with the backend.

pub mod accounts;
pub mod dispatch;
pub mod feeds;
pub mod journal;
pub mod observations;
pub mod registry;
pub mod response;
pub mod warnings;

/// One `#[test]` per conformance check, each on a fresh store from `$open`: an expression that
/// returns `(guard, store)`, where `guard` keeps the store's resources (a directory, a schema)
/// alive until the check ends and `store` is a backend that implements [`Store`](crate::Store).
#[macro_export]
macro_rules! conformance_tests {
    ($open:expr) => {
        $crate::conformance_tests!(@checks $open;
            accounts::usernames_are_unique_in_any_case_and_read_back_whole,
            accounts::sessions_are_read_touched_and_ended_with_their_user,
            accounts::a_new_session_drops_those_past_their_end,
            accounts::disabling_or_a_new_password_ends_every_session_of_the_user,
            dispatch::the_record_pages_newest_first_and_rows_added_meanwhile_do_not_shift_it,
            dispatch::the_outbox_keeps_every_attempt_and_the_first_acknowledgement,
            dispatch::silences_expire_with_who_and_when_and_stay_in_the_audit,
            dispatch::recipients_are_replaced_by_id_and_journaled_with_their_endpoints_sealed,
            feeds::subscriptions_are_added_once_polled_and_removed,
            feeds::an_alert_is_stored_once_and_shown_by_the_regions_it_was_placed_on,
            journal::each_stored_level_change_is_a_leaf_of_the_tree_and_a_repeat_is_not,
            journal::a_consumer_reads_its_kinds_in_order_and_its_cursor_moves_with_what_it_stored,
            journal::a_scoped_read_returns_only_the_province_s_entries_of_its_domains,
            journal::only_a_change_kept_outside_the_database_is_journaled_on_its_own,
            journal::what_an_entry_names_by_digest_is_kept_beside_the_journal,
            warnings::drafts_are_superseded_and_published_alerts_never_change,
            warnings::versions_page_newest_first_without_a_gap_or_a_repeat,
            warnings::auto_release_is_set_and_cleared_per_hazard,
            registry::a_unit_is_read_as_it_was_on_the_day_asked_and_only_within_the_filter,
            registry::a_retired_unit_leads_to_the_current_units_that_took_it_over,
            registry::stations_are_stored_with_their_series_and_read_within_the_filter,
            observations::an_observation_is_stored_once_and_a_correction_is_a_new_version,
            observations::values_are_aggregated_per_step_and_the_latest_is_read_within_the_filter,
            observations::a_level_change_is_stored_once_and_moves_the_current_level,
            observations::an_observation_and_the_level_change_it_causes_are_stored_together,
            response::an_incident_books_free_resources_and_its_last_task_releases_them,
            response::every_change_to_an_incident_is_journaled_in_its_order,
            response::a_stock_posting_that_would_overdraw_changes_nothing,
            response::a_fund_posting_balances_or_is_refused,
        );
    };
    (@checks $open:expr; $($area:ident :: $check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                let (_guard, store) = $open;
                $crate::conformance::$area::$check(&store);
            }
        )*
    };
}
