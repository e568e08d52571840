//! Request priorities: which waiting request the pacer serves first when the budget is short.

use std::fmt;

/// How urgent a request is. When requests wait on the pacer, the most urgent goes first
/// (requests of one priority go in arrival order).
///
/// The order is the product's: an admin waiting on a page must not wait behind minutes of sync
/// work; a phase change (voting opened or closed) matters more than restoring a value someone
/// edited; reads and reconciles can always wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Priority {
    /// A person is waiting on the answer: an admin's search, validate, link or manual sync.
    /// May also use the slots kept back from the other priorities (see [`crate::Pacer`]).
    Interactive,
    /// A write that tells Notion an election changed phase.
    Phase,
    /// Any other write: a corrected status or results link.
    Corrective,
    /// Reads, pulls and reconciles: work nobody is waiting on. The default of a client, so
    /// that only what is marked urgent goes ahead.
    #[default]
    Background,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Self; 4] = [
        Self::Interactive,
        Self::Phase,
        Self::Corrective,
        Self::Background,
    ];

    /// Runs `future` with every Notion request made in it (by any client) at least this urgent:
    /// a request goes with the more urgent of this and its client's own priority
    /// ([`crate::NotionClient::with_priority`]). For code that calls Notion through layers that
    /// do not take a priority: an admin API handler wraps the driver call it waits on in
    /// `Self::Interactive.scope(..)`.
    pub async fn scope<F: std::future::Future>(self, future: F) -> F::Output {
        let effective = self.min(current());
        CURRENT.scope(effective, future).await
    }

    /// The lowercase name, as in logs: `interactive`, `phase`, `corrective`, `background`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Interactive => "interactive",
            Self::Phase => "phase",
            Self::Corrective => "corrective",
            Self::Background => "background",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

tokio::task_local! {
    /// The priority of the requests made by this task now. The client sets it around each
    /// call, so the retry loop (which only knows the pacer) waits with the caller's priority
    /// without every layer between having to pass it along; callers set it around work that
    /// calls Notion through layers that take no priority.
    static CURRENT: Priority;
}

/// The priority set by the innermost [`Priority::scope`], or [`Priority::Background`] outside
/// any.
pub(crate) fn current() -> Priority {
    CURRENT.try_with(|p| *p).unwrap_or_default()
}
