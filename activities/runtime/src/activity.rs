//! The [`Activity`] trait: the one thing every step implements.

use std::future::Future;

use stepwise_contract::ActivityDef;

use crate::{ActivityError, Context};

/// A pipeline step: its definition plus the code that runs it.
///
/// Keep `run` a plain async function over typed values; decoding, error reporting,
/// logging and the runtimes (Lambda, in-process) are the adapters' business.
pub trait Activity: ActivityDef + Send + Sync + 'static {
    /// Runs the activity once. Fail with an [`ActivityError`] whose name tells the state
    /// machine what to do (retry `Throttled`/`Transient`, never retry `InvalidInput`).
    fn run(
        &self,
        input: Self::Input,
        ctx: &Context,
    ) -> impl Future<Output = Result<Self::Output, ActivityError>> + Send;
}
