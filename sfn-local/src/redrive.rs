//! What an execution records as it runs so that a redrive (Step Functions'
//! `RedriveExecution`) can continue it from where it stopped: the [`Journal`].
//!
//! Every scope of execution (the machine's top level, each Parallel branch, each Map
//! iteration or distributed Map child) keeps the state it last entered with that state's
//! input and the variables in scope at its entry; a branch or iteration that succeeded
//! keeps its output instead; a distributed Map keeps its Map Run's ARN. Records under a
//! Parallel or Map state are dropped when the state succeeds, so a long execution keeps
//! only what a redrive of its current point needs.
//!
//! A redrive ([`Journal::begin_redrive`]) turns the records into the *prior* ones, which
//! the executor consumes along the path it resumes: the top-level state where the
//! execution stopped, inside it the branches and iterations that did not succeed (from
//! the state each stopped in), and so on down. Successful branches and iterations are
//! not run again; their outputs are taken from the records. This module holds only the
//! bookkeeping; the executor (`executor/resume.rs` and small hooks in the Parallel and
//! Map states) does the running.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

/// The most times one execution may be redriven, as in Step Functions.
pub const MAX_REDRIVES: u32 = 1000;

/// Why an execution cannot be redriven (by sfn-local's records; the server adds its own
/// reasons: status, type, age).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedriveError {
    /// It was already redriven [`MAX_REDRIVES`] times.
    #[error("the execution was already redriven {0} times, the most Step Functions allows")]
    TooManyRedrives(u32),
    /// The run was not recorded ([`Options::journal`](crate::Options) was not set).
    #[error("the execution ran without a journal (Options::journal), so it cannot be resumed")]
    NoJournal,
}

/// The state a scope last entered, with its input and the variables at its entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// The state's name.
    pub state: String,
    /// Its input.
    pub input: Value,
    /// The variables in scope when it was entered.
    pub vars: Map<String, Value>,
}

/// A branch or iteration that succeeded: its input (a distributed Map's ResultWriter
/// writes it) and its output.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Done {
    /// The iteration's input (`null` for a Parallel branch).
    pub input: Value,
    /// Its output.
    pub output: Value,
}

/// One set of records, by scope key (see [`item_scope`] and [`branch_scope`]).
#[derive(Debug, Default)]
struct Records {
    entries: BTreeMap<String, Entry>,
    done: BTreeMap<String, Done>,
    /// A distributed Map state's Map Run ARN, by the state's key.
    map_runs: BTreeMap<String, String>,
}

impl Records {
    /// Drops every record of the branches and iterations under the state `key`.
    fn clear_under(&mut self, key: &str) {
        for prefix in [format!("{key}["), format!("{key}#")] {
            drop_prefixed(&mut self.entries, &prefix);
            drop_prefixed(&mut self.done, &prefix);
            drop_prefixed(&mut self.map_runs, &prefix);
        }
    }
}

/// Removes the keys that start with `prefix`.
fn drop_prefixed<V>(map: &mut BTreeMap<String, V>, prefix: &str) {
    let keys: Vec<String> = map
        .range(prefix.to_string()..)
        .take_while(|(k, _)| k.starts_with(prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in keys {
        map.remove(&k);
    }
}

#[derive(Debug, Default)]
struct Inner {
    current: Records,
    prior: Records,
    /// Where the next redrive resumes the top level (taken by the executor).
    resume: Option<Entry>,
    redrive_count: u32,
}

/// An execution's redrive records: a cheap, shared handle. Pass one in
/// [`Options::journal`](crate::Options) when the execution starts and the same one to
/// [`redrive`](crate::redrive).
#[derive(Debug, Clone, Default)]
pub struct Journal {
    inner: Arc<Mutex<Inner>>,
}

/// The key of a Parallel or Map state `state` entered in scope `scope`.
pub(crate) fn state_key(scope: &str, state: &str) -> String {
    format!("{scope}/{state}")
}

/// The scope of iteration `index` of the Map state `key`.
pub(crate) fn item_scope(key: &str, index: usize) -> String {
    format!("{key}[{index}]")
}

/// The scope of branch `index` of the Parallel state `key`.
pub(crate) fn branch_scope(key: &str, index: usize) -> String {
    format!("{key}#{index}")
}

impl Journal {
    /// An empty journal.
    pub fn new() -> Self {
        Journal::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut inner)
    }

    /// How often the execution was redriven.
    pub fn redrive_count(&self) -> u32 {
        self.with(|i| i.redrive_count)
    }

    /// The top-level state where the execution stopped (a redrive resumes there), if it
    /// entered one.
    pub fn stopped_at(&self) -> Option<String> {
        self.with(|i| i.current.entries.get("").map(|e| e.state.clone()))
    }

    /// Starts a redrive: the records become the prior ones the run resumes from, and the
    /// redrive count goes up. Returns the new count.
    pub fn begin_redrive(&self) -> Result<u32, RedriveError> {
        self.with(|i| {
            if i.redrive_count >= MAX_REDRIVES {
                return Err(RedriveError::TooManyRedrives(i.redrive_count));
            }
            let mut records = std::mem::take(&mut i.current);
            // What the last redrive did not get to (it was stopped, or failed elsewhere
            // first) is still where that part stopped.
            let left = std::mem::take(&mut i.prior);
            for (k, v) in left.entries {
                records.entries.entry(k).or_insert(v);
            }
            for (k, v) in left.done {
                records.done.entry(k).or_insert(v);
            }
            for (k, v) in left.map_runs {
                records.map_runs.entry(k).or_insert(v);
            }
            i.resume = records.entries.get("").cloned();
            // Until the redrive enters a state, it is still where it stopped.
            if let Some(top) = records.entries.remove("") {
                i.current.entries.insert(String::new(), top);
            }
            i.prior = records;
            i.redrive_count += 1;
            Ok(i.redrive_count)
        })
    }

    /// Drops every record (the execution succeeded: nothing is left to redrive); the
    /// redrive count stays.
    pub fn forget(&self) {
        self.with(|i| {
            i.current = Records::default();
            i.prior = Records::default();
            i.resume = None;
        });
    }

    /// The top-level point a begun redrive resumes from (`None`: from StartAt).
    pub(crate) fn take_resume(&self) -> Option<Entry> {
        self.with(|i| i.resume.take())
    }

    /// Scope `scope` enters `state` on `input`, with `vars` in scope.
    pub(crate) fn entered(
        &self,
        scope: &str,
        state: &str,
        input: &Value,
        vars: &Map<String, Value>,
    ) {
        let entry = Entry {
            state: state.to_string(),
            input: input.clone(),
            vars: vars.clone(),
        };
        self.with(|i| i.current.entries.insert(scope.to_string(), entry));
    }

    /// The Parallel or Map state `key` starts an attempt (`resuming`: the one a redrive
    /// resumes, which takes the prior records as it goes), or succeeded: the records of
    /// its branches and iterations are dropped.
    pub(crate) fn clear(&self, key: &str, resuming: bool) {
        self.with(|i| {
            i.current.clear_under(key);
            if !resuming {
                i.prior.clear_under(key);
            }
        });
    }

    /// The branch or iteration `scope` succeeded with `done`: its output is kept, the
    /// records inside it dropped.
    pub(crate) fn succeeded(&self, scope: &str, done: Done) {
        self.with(|i| {
            let c = &mut i.current;
            c.entries.remove(scope);
            drop_prefixed(&mut c.entries, &format!("{scope}/"));
            drop_prefixed(&mut c.done, &format!("{scope}/"));
            drop_prefixed(&mut c.map_runs, &format!("{scope}/"));
            c.done.insert(scope.to_string(), done);
        });
    }

    /// The prior output of branch or iteration `scope`, if it succeeded before the
    /// redrive (kept again as succeeded, for a later redrive).
    pub(crate) fn take_prior_done(&self, scope: &str) -> Option<Done> {
        self.with(|i| {
            let done = i.prior.done.remove(scope)?;
            i.current.done.insert(scope.to_string(), done.clone());
            Some(done)
        })
    }

    /// Where branch or iteration `scope` stopped before the redrive, if it entered a
    /// state.
    pub(crate) fn take_prior_entry(&self, scope: &str) -> Option<Entry> {
        self.with(|i| i.prior.entries.remove(scope))
    }

    /// The distributed Map state `key` runs Map Run `arn`.
    pub(crate) fn map_run(&self, key: &str, arn: &str) {
        self.with(|i| i.current.map_runs.insert(key.to_string(), arn.to_string()));
    }

    /// The Map Run the distributed Map state `key` ran before the redrive.
    pub(crate) fn take_prior_map_run(&self, key: &str) -> Option<String> {
        self.with(|i| i.prior.map_runs.remove(key))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_redrive_resumes_the_top_level_and_keeps_successes_until_taken() {
        let j = Journal::new();
        let vars = Map::new();
        j.entered("", "A", &json!(1), &vars);
        j.entered("", "M", &json!(2), &vars);
        let key = state_key("", "M");
        j.clear(&key, false);
        j.succeeded(
            &item_scope(&key, 0),
            Done {
                input: json!("a"),
                output: json!("A"),
            },
        );
        j.entered(&item_scope(&key, 1), "Work", &json!("b"), &vars);
        assert_eq!(j.stopped_at().as_deref(), Some("M"));
        assert_eq!(j.begin_redrive(), Ok(1));
        let resume = j.take_resume().unwrap();
        assert_eq!((resume.state.as_str(), resume.input), ("M", json!(2)));
        assert_eq!(
            j.take_prior_done(&item_scope(&key, 0)).unwrap().output,
            json!("A")
        );
        assert!(j.take_prior_done(&item_scope(&key, 1)).is_none());
        assert_eq!(
            j.take_prior_entry(&item_scope(&key, 1)).unwrap().state,
            "Work"
        );
        // The success taken is kept for a later redrive.
        assert_eq!(j.begin_redrive(), Ok(2));
        assert!(j.take_prior_done(&item_scope(&key, 0)).is_some());
    }

    #[test]
    fn clearing_a_state_drops_its_nested_records_only() {
        let j = Journal::new();
        let vars = Map::new();
        let key = state_key("", "P");
        let other = state_key("", "Q");
        j.entered(&branch_scope(&key, 0), "X", &json!(0), &vars);
        j.entered(
            &item_scope(&state_key(&branch_scope(&key, 0), "M"), 3),
            "Y",
            &json!(0),
            &vars,
        );
        j.entered(&branch_scope(&other, 0), "Z", &json!(0), &vars);
        j.clear(&key, false);
        j.begin_redrive().unwrap();
        assert!(j.take_prior_entry(&branch_scope(&key, 0)).is_none());
        assert!(j.take_prior_entry(&branch_scope(&other, 0)).is_some());
    }

    #[test]
    fn what_a_stopped_redrive_did_not_get_to_is_kept_for_the_next() {
        let j = Journal::new();
        let vars = Map::new();
        let key = state_key("", "M");
        j.entered("", "M", &json!(0), &vars);
        for n in 0..2 {
            j.succeeded(
                &item_scope(&key, n),
                Done {
                    input: json!(n),
                    output: json!(n),
                },
            );
        }
        j.begin_redrive().unwrap();
        assert_eq!(j.take_resume().unwrap().state, "M");
        // The redrive takes item 0's output, then is stopped.
        j.clear(&key, true);
        assert!(j.take_prior_done(&item_scope(&key, 0)).is_some());
        assert_eq!(j.stopped_at().as_deref(), Some("M"));
        j.begin_redrive().unwrap();
        assert_eq!(j.take_resume().unwrap().state, "M");
        assert!(j.take_prior_done(&item_scope(&key, 0)).is_some());
        assert!(j.take_prior_done(&item_scope(&key, 1)).is_some());
    }

    #[test]
    fn forgetting_keeps_only_the_count() {
        let j = Journal::new();
        j.entered("", "A", &json!(1), &Map::new());
        j.begin_redrive().unwrap();
        j.entered("", "B", &json!(2), &Map::new());
        j.forget();
        assert_eq!(j.stopped_at(), None);
        assert_eq!(j.redrive_count(), 1);
    }

    #[test]
    fn the_thousand_and_first_redrive_is_refused() {
        let j = Journal::new();
        for n in 1..=MAX_REDRIVES {
            assert_eq!(j.begin_redrive(), Ok(n));
        }
        assert_eq!(
            j.begin_redrive(),
            Err(RedriveError::TooManyRedrives(MAX_REDRIVES))
        );
        assert_eq!(j.redrive_count(), MAX_REDRIVES);
    }
}
