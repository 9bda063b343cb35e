//! Chains: sequences of states linked by `Next`.

use super::state_builders::{Choice, Fail, Map, Parallel, Pass, Succeed, Task, Wait};

/// One state of a chain, with whatever it carries beyond the ASL fields (Choice arms,
/// Catch handlers, nested chains).
#[derive(Debug, Clone)]
pub enum Step {
    /// A Task state.
    Task(Box<Task>),
    /// A Pass state.
    Pass(Pass),
    /// A Choice state.
    Choice(Choice),
    /// A Wait state.
    Wait(Wait),
    /// A Succeed state.
    Succeed(Succeed),
    /// A Fail state.
    Fail(Fail),
    /// A Parallel state.
    Parallel(Box<Parallel>),
    /// A Map state.
    Map(Box<Map>),
}

impl Step {
    /// The state's name.
    pub fn name(&self) -> &str {
        match self {
            Step::Task(s) => &s.name,
            Step::Pass(s) => &s.name,
            Step::Choice(s) => &s.name,
            Step::Wait(s) => &s.name,
            Step::Succeed(s) => &s.name,
            Step::Fail(s) => &s.name,
            Step::Parallel(s) => &s.name,
            Step::Map(s) => &s.name,
        }
    }
}

macro_rules! into_step {
    ($($ty:ident => $variant:ident $(boxed $b:tt)?;)*) => {
        $(
            impl From<$ty> for Step {
                fn from(value: $ty) -> Self {
                    into_step!(@wrap $variant value $($b)?)
                }
            }
            impl From<$ty> for Chain {
                fn from(value: $ty) -> Self {
                    Chain::start(value)
                }
            }
        )*
    };
    (@wrap $variant:ident $value:ident) => { Step::$variant($value) };
    (@wrap $variant:ident $value:ident yes) => { Step::$variant(Box::new($value)) };
}

into_step! {
    Task => Task boxed yes;
    Pass => Pass;
    Choice => Choice;
    Wait => Wait;
    Succeed => Succeed;
    Fail => Fail;
    Parallel => Parallel boxed yes;
    Map => Map boxed yes;
}

/// A sequence of states: each one's `Next` is the one after it.
///
/// What follows the last state depends on where the chain is used: the end of the scope
/// for a workflow, branch or processor; the state after the owner for a Choice arm or a
/// Catch handler; or the state named by [`Chain::goto`] / [`Chain::then_goto`].
#[derive(Debug, Clone, Default)]
pub struct Chain {
    pub(crate) steps: Vec<Step>,
    pub(crate) goto: Option<String>,
}

impl Chain {
    /// A chain starting with `step`.
    pub fn start(step: impl Into<Step>) -> Self {
        Chain {
            steps: vec![step.into()],
            goto: None,
        }
    }

    /// An empty chain: as a Choice arm or Catch handler it means "carry on after the
    /// owning state".
    pub fn empty() -> Self {
        Chain::default()
    }

    /// A chain that only jumps to the state called `name` (a loop, or a shared handler).
    pub fn goto(name: impl Into<String>) -> Self {
        Chain {
            steps: Vec::new(),
            goto: Some(name.into()),
        }
    }

    /// Appends a state.
    pub fn then(mut self, step: impl Into<Step>) -> Self {
        self.steps.push(step.into());
        self
    }

    /// Appends every state of another chain (and takes over its jump, if any).
    pub fn then_chain(mut self, other: Chain) -> Self {
        self.steps.extend(other.steps);
        self.goto = other.goto;
        self
    }

    /// Ends the chain with a jump to the state called `name`.
    pub fn then_goto(mut self, name: impl Into<String>) -> Self {
        self.goto = Some(name.into());
        self
    }

    /// The name of the first state, or the jump target of an empty chain.
    pub fn entry(&self) -> Option<&str> {
        self.steps.first().map(Step::name).or(self.goto.as_deref())
    }
}
