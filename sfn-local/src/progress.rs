//! A progress display on stderr for executions: each state the first time it is entered,
//! and a bar per Map with items done and failed. When stderr is not a terminal, the bars
//! are replaced by one summary line per Map.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::Progress;

/// Progress on stderr: each state the first time it is entered, a bar per Map.
pub struct ProgressDisplay {
    bars: MultiProgress,
    state: Mutex<DisplayState>,
}

#[derive(Default)]
struct DisplayState {
    seen: std::collections::HashSet<String>,
    maps: std::collections::HashMap<String, (ProgressBar, usize, usize)>,
}

impl ProgressDisplay {
    /// A display on stderr.
    pub fn new() -> Arc<Self> {
        Arc::new(ProgressDisplay {
            bars: MultiProgress::new(),
            state: Mutex::new(DisplayState::default()),
        })
    }

    fn say(&self, line: String) {
        if self.bars.is_hidden() {
            eprintln!("{line}");
        } else {
            let _ = self.bars.println(line);
        }
    }
}

impl Progress for ProgressDisplay {
    fn state_entered(&self, name: &str) {
        let first = self
            .state
            .lock()
            .map(|mut s| s.seen.insert(name.to_string()))
            .unwrap_or(false);
        if first {
            self.say(format!("▶ {name}"));
        }
    }

    fn map_started(&self, state: &str, total: usize) {
        let bar = self.bars.add(ProgressBar::new(total as u64));
        bar.set_style(
            ProgressStyle::with_template("  {prefix} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(state.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        if let Ok(mut s) = self.state.lock() {
            s.maps.insert(state.to_string(), (bar, 0, 0));
        }
    }

    fn map_item_finished(&self, state: &str, _index: usize, succeeded: bool) {
        let Ok(mut s) = self.state.lock() else { return };
        let Some((bar, done, failed)) = s.maps.get_mut(state) else {
            return;
        };
        *done += 1;
        if !succeeded {
            *failed += 1;
            bar.set_message(format!("({failed} failed)"));
        }
        bar.inc(1);
        if bar.position() >= bar.length().unwrap_or(0) {
            bar.finish();
            let summary = format!(
                "  {state}: {done} items, {} succeeded, {failed} failed",
                *done - *failed
            );
            drop(s);
            self.say(summary);
        }
    }
}
